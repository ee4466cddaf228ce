// The seeded data: deterministic in the seed, sizes from seed_sizes.
#include "tests/simulators/cpm/resources.hpp"

#include <algorithm>
#include <array>

namespace sim::cpm {

namespace {

// splitmix64: small, fast, and the same sequence everywhere.
class random_source {
public:
    explicit random_source(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::int64_t between(std::int64_t lo, std::int64_t hi) {  // inclusive
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    bool percent(int p) { return between(1, 100) <= p; }
    template <class T, std::size_t N>
    const T& pick(const std::array<T, N>& items) {
        return items[static_cast<std::size_t>(between(0, N - 1))];
    }

private:
    std::uint64_t state_;
};

constexpr std::int64_t seed_epoch = 1534766400;  // 2018-08-20T12:00:00Z, the day of section 1.9.1's samples

std::string digits(random_source& rng, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng.between(i == 0 ? 1 : 0, 9)));
    return s;
}

std::string access_key(random_source& rng) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string s = "AKIA";
    for (int i = 0; i < 16; ++i) s.push_back(alphabet[static_cast<std::size_t>(rng.between(0, 31))]);
    return s;
}

void seed_users(store& s, random_source& rng, std::size_t count) {
    static constexpr std::array<std::array<std::string_view, 3>, 7> people{{
        {"root", "", ""},
        {"james_smith", "James", "Smith"},
        {"maria_garcia", "Maria", "Garcia"},
        {"wei_chen", "Wei", "Chen"},
        {"olga_ivanova", "Olga", "Ivanova"},
        {"amir_haddad", "Amir", "Haddad"},
        {"emma_jones", "Emma", "Jones"},
    }};
    for (std::size_t i = 0; i < count; ++i) {
        auto id = static_cast<std::int64_t>(i + 1);
        std::string username = i < people.size() ? std::string(people[i][0]) : "user_" + std::to_string(id);
        json::object u{
            {"id", id},
            {"username", username},
            {"email", username + "@example.com"},
            {"first_name", i < people.size() ? people[i][1] : ""},
            {"last_name", i < people.size() ? people[i][2] : ""},
            {"user_type", i == 0 ? "R" : (rng.percent(60) ? "I" : "M")},
            {"is_active", i == 0 || rng.percent(90)},
            {"allow_file_level_recovery", rng.percent(50)},
            {"max_accounts", rng.between(1, 40)},
            {"max_instances", rng.between(10, 500)},
            {"max_independent_ebs_gib", rng.between(100, 20000)},
        };
        s.users.insert(make_row(users_resource(), u));
    }
}

json::array regions(random_source& rng) {
    static constexpr std::array<std::string_view, 6> all{"us-east-1", "us-west-2", "eu-west-1",
                                                         "eu-central-1", "ap-southeast-2", "ca-central-1"};
    json::array out;
    for (auto r : all)
        if (rng.percent(35)) out.emplace_back(r);
    if (out.empty()) out.emplace_back(rng.pick(all));
    return out;
}

json::object account(random_source& rng, std::int64_t id, std::size_t users, bool dr) {
    static constexpr std::array<std::string_view, 7> teams{"prod", "staging", "dev", "sandbox",
                                                           "analytics", "finance", "shared"};
    static constexpr std::array<std::string_view, 5> places{"us_east", "us_west", "eu_central", "eu_west", "ap_south"};
    std::int64_t owner = rng.percent(70) || users < 2 ? 1 : rng.between(2, static_cast<std::int64_t>(users));
    // The CPM instance role is for the root user's accounts only.
    std::string method = id == 1 ? "R" : (rng.percent(60) ? "C" : "A");
    json::object a{
        {"id", id},
        {"name", std::string(dr ? "dr_" : "") + std::string(rng.pick(teams)) + "_" + std::string(rng.pick(places)) +
                     "_" + std::to_string(id)},
        {"user", std::to_string(owner)},
        {"authentication", method},
        {"account_number", digits(rng, 12)},
        {"aws_access_key", method == "C" ? access_key(rng) : ""},
        {"role_name", method == "A" ? "CPMCrossAccountRole" : ""},
        {"external_id", method == "A" && rng.percent(50) ? "ext-" + digits(rng, 8) : ""},
        {"assume_from_account", method == "A" ? "1" : ""},
        {"allow_deleting_snapshots", dr && rng.percent(50)},
        {"capture_vpcs", rng.percent(40)},
        {"scan_regions", regions(rng)},
        {"scan_tagged_resources", rng.percent(50)},
        {"is_dr_account", dr},
    };
    return a;
}

void seed_accounts(store& s, random_source& rng, const seed_sizes& sizes) {
    std::int64_t id = 1;
    for (std::size_t i = 0; i < sizes.accounts; ++i, ++id)
        s.accounts.insert(make_row(accounts_resource(), account(rng, id, sizes.users, false)));
    for (std::size_t i = 0; i < sizes.dr_accounts; ++i, ++id)
        s.accounts.insert(make_row(accounts_resource(), account(rng, id, sizes.users, true)));
}

json::object schedule(std::int64_t id, std::string name, std::string unit, std::int64_t how_many,
                      std::string start, std::string modified) {
    json::object s{{"id", id},
                   {"name", std::move(name)},
                   {"description", ""},
                   {"user", 1},
                   {"every_unit", std::move(unit)},
                   {"every_how_many", how_many},
                   {"start_date", std::move(start)},
                   {"end_date", nullptr},
                   {"last_modified", std::move(modified)},
                   {"disable_times", json::array{}}};
    for (auto day : {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"})
        s[std::string("allow_on_") + day] = true;
    return s;
}

// The first five are section 1.9.1's listed schedules, field for field.
void seed_schedules(store& s, random_source& rng, const seed_sizes& sizes) {
    std::vector<json::object> documented{
        schedule(1, "1month", "O", 1, "2018-08-20T14:43:56Z", "2018-08-20T11:43:56Z"),
        schedule(2, "5minutes", "M", 5, "2018-08-20T12:50:00Z", "2018-08-20T11:50:35Z"),
        schedule(3, "2months", "O", 2, "2018-08-20T12:50:00Z", "2018-08-20T11:50:50Z"),
        schedule(4, "7weeks", "W", 7, "2018-08-20T12:50:00Z", "2018-08-20T11:51:03Z"),
        schedule(5, "10hours", "H", 10, "2018-08-20T13:11:00Z", "2018-08-20T12:11:21Z"),
    };
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> units{
        {{"M", "minutes"}, {"H", "hours"}, {"D", "days"}, {"W", "weeks"}, {"O", "months"}}};
    for (std::size_t i = 0; i < sizes.schedules; ++i) {
        auto id = static_cast<std::int64_t>(i + 1);
        if (i < documented.size()) {
            s.schedules.insert(make_row(schedules_resource(), documented[i]));
            continue;
        }
        const auto& [unit, word] = rng.pick(units);
        std::int64_t every = unit == "M" ? 5 * rng.between(1, 6) : rng.between(1, unit == "H" ? 12 : 6);
        std::int64_t start = seed_epoch + id * 86400 + rng.between(0, 86399);
        json::object item = schedule(id, std::to_string(every) + std::string(word) + "_" + std::to_string(id),
                                     std::string(unit), every, iso_time(start), iso_time(start - rng.between(60, 7200)));
        item["user"] = rng.percent(75) || sizes.users < 2 ? 1 : rng.between(2, static_cast<std::int64_t>(sizes.users));
        if (rng.percent(20)) item["end_date"] = iso_time(start + rng.between(30, 365) * 86400);
        if (rng.percent(30)) item["description"] = "runs every " + std::to_string(every) + " " + std::string(word);
        if (rng.percent(25)) item["allow_on_saturday"] = item["allow_on_sunday"] = false;
        s.schedules.insert(make_row(schedules_resource(), item));
    }
}

void seed_policies(store& s, random_source& rng, const seed_sizes& sizes) {
    static constexpr std::array<std::string_view, 8> what{"web_servers", "databases", "file_shares", "analytics",
                                                          "mail", "build_farm", "erp", "data_lake"};
    for (std::size_t i = 0; i < sizes.policies; ++i) {
        auto id = static_cast<std::int64_t>(i + 1);
        auto account_id = rng.between(1, static_cast<std::int64_t>(sizes.accounts));
        const auto& owner = s.accounts.rows.at(account_id).value.at("user").as_string();
        json::array schedules;
        if (sizes.schedules > 0)
            for (std::int64_t n = rng.between(0, 2); n > 0; --n) {
                json::value pick = rng.between(1, static_cast<std::int64_t>(sizes.schedules));
                if (std::find(schedules.begin(), schedules.end(), pick) == schedules.end()) schedules.push_back(pick);
            }
        std::string_view subject = rng.pick(what);
        json::object p{
            {"id", id},
            {"name", std::string(subject) + "_" + std::to_string(id)},
            {"description", rng.percent(40) ? "Backs up the " + std::string(subject) : ""},
            {"user", std::stoll(std::string(owner))},
            {"account", account_id},
            {"enabled", rng.percent(85)},
            {"generations", rng.between(1, 60)},
            {"schedules", std::move(schedules)},
        };
        s.policies.insert(make_row(policies_resource(), p));
    }
}

std::string backup_status(random_source& rng, std::size_t index, std::size_t count) {
    if (index + 3 >= count) return "Backup in Progress";  // the newest few are still running
    auto roll = rng.between(1, 100);
    if (roll <= 80) return "Backup Successful";
    if (roll <= 88) return "Backup Partial Success";
    if (roll <= 95) return "Backup Failed";
    return "Not Completed";
}

void seed_backups(store& s, random_source& rng, const seed_sizes& sizes) {
    if (sizes.policies == 0) return;
    for (std::size_t i = 0; i < sizes.backups; ++i) {
        auto id = static_cast<std::int64_t>(i + 1);
        const auto& policy = s.policies.rows.at(rng.between(1, static_cast<std::int64_t>(sizes.policies))).value;
        std::int64_t start = seed_epoch + id * 3571 + rng.between(0, 600);
        std::string status = backup_status(rng, i, sizes.backups);
        bool frozen = rng.percent(3);
        json::object b{
            {"id", id},
            {"policy", policy.at("id")},
            {"account", policy.at("account")},
            {"user", policy.at("user")},
            {"status", status},
            {"start_time", iso_time(start)},
            {"end_time", status == "Backup in Progress" ? json::value(nullptr)
                                                        : json::value(iso_time(start + rng.between(45, 5400)))},
            {"is_frozen", frozen},
            {"description", frozen ? json::value("kept for the yearly audit") : json::value(nullptr)},
        };
        s.backups.insert(make_row(backups_resource(), b));
    }
}

}  // namespace

store seed_store(std::uint64_t seed, const seed_sizes& sizes) {
    store s;
    random_source rng(seed);
    seed_users(s, rng, sizes.users);
    seed_accounts(s, rng, sizes);
    seed_schedules(s, rng, sizes);
    seed_policies(s, rng, sizes);
    seed_backups(s, rng, sizes);
    return s;
}

}  // namespace sim::cpm
