// The seeded data: deterministic in the seed, sizes from seed_sizes.
#include "tests/simulators/cpm/resources.hpp"

#include <algorithm>
#include <array>
#include <ctime>

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

// The collections seeded after the first six draw from streams of their own,
// so that adding them changed no value seeded before.
constexpr std::uint64_t recovery_stream = 0x7265636f76657279ull;  // "recovery"
constexpr std::uint64_t s3_stream = 0x73335f7265706f73ull;        // "s3_repos"
constexpr std::uint64_t snapshot_stream = 0x736e617073686f74ull;  // "snapshot"

random_source stream(std::uint64_t seed, std::uint64_t salt) { return random_source(random_source(seed ^ salt).next()); }

// The seconds of an iso_time() text ("2018-08-20T12:00:00Z").
std::int64_t epoch_of(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    if (!strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return seed_epoch;
    return static_cast<std::int64_t>(timegm(&tm));
}

std::string hex(random_source& rng, int n) {
    static constexpr std::string_view alphabet = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(alphabet[static_cast<std::size_t>(rng.between(0, 15))]);
    return s;
}

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

// The regions accounts scan and snapshots are in.
constexpr std::array<std::string_view, 6> scanned_regions{"us-east-1",    "us-west-2",      "eu-west-1",
                                                          "eu-central-1", "ap-southeast-2", "ca-central-1"};

json::array regions(random_source& rng) {
    json::array out;
    for (auto r : scanned_regions)
        if (rng.percent(35)) out.emplace_back(r);
    if (out.empty()) out.emplace_back(rng.pick(scanned_regions));
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

bool recoverable(std::string_view backup_status) {
    return backup_status == "Backup Successful" || backup_status == "Backup Partial Success";
}

// Each recovery restores a finished backup some time after it ended; ids follow
// the start times, as a database sequence gives them, and the latest is still running.
void seed_recoveries(store& s, std::uint64_t seed, const seed_sizes& sizes) {
    if (s.backups.rows.empty()) return;
    random_source rng = stream(seed, recovery_stream);
    static constexpr std::array<std::string_view, 4> types{"instance", "volume", "rds_database", "file_level"};
    struct started {
        std::int64_t at;
        json::object item;
    };
    std::vector<started> drafts;
    for (std::size_t i = 0; i < sizes.recoveries; ++i) {
        const json::object* backup = nullptr;
        for (int tries = 0; tries < 8 && (!backup || !recoverable(backup->at("status").as_string())); ++tries)
            backup = &s.backups.rows.at(rng.between(1, static_cast<std::int64_t>(sizes.backups))).value;
        const json::value& ended = backup->at("end_time");
        std::int64_t start = epoch_of(ended.is_null() ? backup->at("start_time").as_string() : ended.as_string()) +
                             rng.between(600, 14 * 86400);
        auto roll = rng.between(1, 100);
        json::object r{
            {"backup", backup->at("id")},
            {"policy", backup->at("policy")},
            {"account", backup->at("account")},
            {"user", backup->at("user")},
            {"status", roll <= 85 ? "Recovery Successful" : (roll <= 93 ? "Recovery Partial Success" : "Recovery Failed")},
            {"start_time", iso_time(start)},
            {"end_time", iso_time(start + rng.between(60, 3600))},
            {"recovery_type", rng.pick(types)},
        };
        drafts.push_back({start, std::move(r)});
    }
    std::stable_sort(drafts.begin(), drafts.end(), [](const started& a, const started& b) { return a.at < b.at; });
    for (std::size_t i = 0; i < drafts.size(); ++i) {
        json::object& r = drafts[i].item;
        r["id"] = static_cast<std::int64_t>(i + 1);
        if (i + 1 == drafts.size()) {
            r["status"] = "Recovery in Progress";
            r["end_time"] = nullptr;
        }
        s.recoveries.insert(make_row(recoveries_resource(), r));
    }
}

// Repositories on backup accounts, in one of the regions the account scans.
void seed_s3_repositories(store& s, std::uint64_t seed, const seed_sizes& sizes) {
    if (sizes.accounts == 0) return;
    random_source rng = stream(seed, s3_stream);
    static constexpr std::array<std::string_view, 6> purposes{"long_term", "compliance", "archive",
                                                              "dr_copies", "monthly",    "audit"};
    for (std::size_t i = 0; i < sizes.s3_repositories; ++i) {
        auto id = static_cast<std::int64_t>(i + 1);
        auto account_id = rng.between(1, static_cast<std::int64_t>(sizes.accounts));
        const json::object& account = s.accounts.rows.at(account_id).value;
        const json::array& scanned = account.at("scan_regions").as_array();
        std::string region(scanned.at(static_cast<std::size_t>(
                                          rng.between(0, static_cast<std::int64_t>(scanned.size()) - 1)))
                               .as_string());
        std::string purpose(rng.pick(purposes));
        std::string bucket_word = purpose;
        std::replace(bucket_word.begin(), bucket_word.end(), '_', '-');
        json::object r{
            {"id", id},
            {"name", purpose + "_" + std::to_string(id)},
            {"account", account_id},
            {"bucket_name", "cpm-" + bucket_word + "-" + std::string(account.at("account_number").as_string()) + "-" +
                                std::to_string(id)},
            {"region", region},
            {"description", rng.percent(60) ? "Snapshot copies kept for " + bucket_word : ""},
            {"user", std::stoll(std::string(account.at("user").as_string()))},
        };
        s.s3_repositories.insert(make_row(s3_repositories_resource(), r));
    }
}

// The AWS regions; the same for every seed.
void seed_regions(store& s) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> aws{{
        {"us-east-1", "US East (N. Virginia)"},
        {"us-east-2", "US East (Ohio)"},
        {"us-west-1", "US West (N. California)"},
        {"us-west-2", "US West (Oregon)"},
        {"ca-central-1", "Canada (Central)"},
        {"eu-central-1", "Europe (Frankfurt)"},
        {"eu-west-1", "Europe (Ireland)"},
        {"eu-west-2", "Europe (London)"},
        {"eu-west-3", "Europe (Paris)"},
        {"eu-north-1", "Europe (Stockholm)"},
        {"ap-south-1", "Asia Pacific (Mumbai)"},
        {"ap-northeast-1", "Asia Pacific (Tokyo)"},
        {"ap-northeast-2", "Asia Pacific (Seoul)"},
        {"ap-northeast-3", "Asia Pacific (Osaka)"},
        {"ap-southeast-1", "Asia Pacific (Singapore)"},
        {"ap-southeast-2", "Asia Pacific (Sydney)"},
        {"sa-east-1", "South America (São Paulo)"},
    }};
    for (std::size_t i = 0; i < aws.size(); ++i) {
        json::object r{{"id", static_cast<std::int64_t>(i + 1)}, {"name", aws[i].first}, {"description", aws[i].second}};
        s.regions.insert(make_row(regions_resource(), r));
    }
}

std::string snapshot_resource_id(random_source& rng, std::string_view type, std::int64_t backup_id) {
    static constexpr std::array<std::string_view, 6> apps{"orders", "billing", "crm", "inventory", "auth", "reports"};
    std::string app(rng.pick(apps));
    if (type == "volume") return "vol-0" + hex(rng, 16);
    if (type == "rds_database") return app + "-db-" + std::to_string(rng.between(1, 9));
    if (type == "rds_cluster") return "aurora-" + app + "-" + std::to_string(rng.between(1, 4));
    if (type == "dynamodb_table") return app + "_events";
    return "redshift-" + app + "-" + std::to_string(backup_id % 5);
}

}  // namespace

table backup_snapshots(std::uint64_t seed, const json::object& backup) {
    std::int64_t backup_id = backup.at("id").as_int64();
    random_source rng = stream(seed, snapshot_stream ^ (static_cast<std::uint64_t>(backup_id) * 0x9e3779b97f4a7c15ull));
    std::int64_t count = rng.between(0, 7);
    std::int64_t at = epoch_of(backup.at("start_time").as_string());
    bool running = backup.at("status").as_string() == "Backup in Progress";
    table out;
    for (std::int64_t k = 0; k < count; ++k) {
        auto roll = rng.between(1, 100);
        std::string_view type = roll <= 55   ? "volume"
                                : roll <= 75 ? "rds_database"
                                : roll <= 85 ? "rds_cluster"
                                : roll <= 93 ? "dynamodb_table"
                                             : "redshift_cluster";
        std::int64_t size = type == "volume"           ? rng.between(8, 2048)
                            : type == "dynamodb_table"   ? rng.between(1, 50)
                            : type == "redshift_cluster" ? rng.between(160, 2560)
                                                         : rng.between(20, 1000);
        at += rng.between(3, 90);
        std::string resource_id = snapshot_resource_id(rng, type, backup_id);
        std::string_view status = running && k + 1 == count ? "pending" : (rng.percent(97) ? "completed" : "error");
        json::object snap{
            {"id", (backup_id - 1) * 8 + k + 1},
            {"backup", backup_id},
            {"type", type},
            {"resource_id", std::move(resource_id)},
            {"region", rng.pick(scanned_regions)},
            {"status", status},
            {"size_gib", size},
            {"created", iso_time(at)},
        };
        row r = make_row(snapshots_resource(), snap);
        out.emplace((backup_id - 1) * 8 + k + 1, std::move(r));
    }
    return out;
}

store seed_store(std::uint64_t seed, const seed_sizes& sizes) {
    store s;
    random_source rng(seed);
    seed_users(s, rng, sizes.users);
    seed_accounts(s, rng, sizes);
    seed_schedules(s, rng, sizes);
    seed_policies(s, rng, sizes);
    seed_backups(s, rng, sizes);
    seed_recoveries(s, seed, sizes);
    seed_s3_repositories(s, seed, sizes);
    seed_regions(s);
    return s;
}

}  // namespace sim::cpm
