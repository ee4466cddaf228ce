// Small ASCII helpers shared by the Veeam simulator's files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sim::veeam {

char ascii_lower(char c);
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
int icompare(std::string_view a, std::string_view b);  // <0, 0, >0
bool icontains(std::string_view haystack, std::string_view needle);
std::string_view trim(std::string_view text);
// "a, b,c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> split_list(std::string_view text, char separator);

}  // namespace sim::veeam
