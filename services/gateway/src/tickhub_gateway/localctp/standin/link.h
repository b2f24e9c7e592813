// What tickhub's two stand-in CTP libraries share: the link to `tickhub ctp-front`.
//
// libthostmduserapi_se.so (mdapi.cpp) and libthosttraderapi_se.so (tdapi.cpp) each
// include this file once, inside their own translation unit: everything here has
// internal linkage (an anonymous namespace), so the two libraries, loaded into one
// process by vnpy_ctp, never share or interpose a symbol. It holds the line protocol
// of docs/ctp-front.md ("The wire protocol between the stand-in library and
// `tickhub ctp-front`"), CTP's structs as field tables, and LocalApi: the api object's
// life (Init, Join, Release), its network thread (connect, HELLO, heartbeats,
// timeouts, reconnects, CTP's disconnect codes) and the answers both apis share
// (login, logout, errors). An api (LocalMdApi, LocalTraderApi) adds its requests and
// the answers only it knows.
//
// Threads: one per api object, started by Init(). It connects, reads, sends the
// heartbeats and calls every spi callback; the application's threads only send
// requests (under a mutex) and never run a callback.

#pragma once

#include <fcntl.h>
#include <locale.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ThostFtdcUserApiStruct.h"

#ifndef TICKHUB_CTP_VERSION
#define TICKHUB_CTP_VERSION "unknown"
#endif
#ifndef TICKHUB_VNPY_CTP_VERSION
#define TICKHUB_VNPY_CTP_VERSION "unknown"
#endif

namespace {

// --- the protocol's constants (docs/ctp-front.md) -------------------------------------

constexpr int kProtocolVersion = 1;
constexpr const char* kFrontName = "tickhub-ctp-front";
constexpr std::size_t kMaxLine = 64 * 1024;  // bytes, without "\n" and a "\r" before it

// OnFrontDisconnected reasons, CTP's own codes (ThostFtdcMdApi.h).
constexpr int kReadFailed = 0x1001;
constexpr int kWriteFailed = 0x1002;
constexpr int kHeartbeatTimeout = 0x2001;
constexpr int kBadPacket = 0x2003;

constexpr auto kHelloTimeout = std::chrono::seconds(10);
constexpr auto kReconnectDelay = std::chrono::seconds(1);
constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr int kSendTimeoutS = 5;  // a front that stops reading: the write fails (0x1002)
constexpr std::size_t kMaxSubLine = 60 * 1024;  // SUB/UNSUB lines are split below this

constexpr const char kVersion[] = "tickhub-local-ctp 1 (CTP " TICKHUB_CTP_VERSION
                                  " headers, vnpy_ctp " TICKHUB_VNPY_CTP_VERSION ")";

using Clock = std::chrono::steady_clock;

void log_line(const std::string& text) {
    std::fprintf(stderr, "tickhub-local-ctp: %s\n", text.c_str());
    std::fflush(stderr);
}

// The "C" locale for numbers, whatever the process set with setlocale().
locale_t c_locale() {
    static const locale_t locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return locale;
}

// --- CTP's structs as tables: name -> offset, size, kind -------------------------------

enum class Kind { Text, Char, Int, Double };

template <typename T>
struct KindOf;  // a member of another type does not compile: add it here
template <std::size_t N>
struct KindOf<char[N]> {
    static constexpr Kind value = Kind::Text;
};
template <>
struct KindOf<char> {
    static constexpr Kind value = Kind::Char;
};
template <>
struct KindOf<int> {
    static constexpr Kind value = Kind::Int;
};
template <>
struct KindOf<double> {
    static constexpr Kind value = Kind::Double;
};

struct Field {
    const char* name;
    std::size_t offset;
    std::size_t size;
    Kind kind;
};

// Used by link.h's tables and by each library's own; the library #undefs it after them.
#define TICKHUB_FIELD(S, member) \
    Field { #member, offsetof(S, member), sizeof(S::member), KindOf<decltype(S::member)>::value }

constexpr std::size_t alignment(Kind kind) {
    switch (kind) {
        case Kind::Int:
            return alignof(int);
        case Kind::Double:
            return alignof(double);
        default:
            return 1;
    }
}

constexpr std::size_t align_up(std::size_t at, std::size_t to) { return (at + to - 1) / to * to; }

// True when the table names every member of S: in order, each starting where the
// previous one ends (plus the padding its alignment needs), the last one ending the
// struct. A member left out leaves a gap, and the build fails; so every field CTP's
// headers have is read from the wire.
template <typename S, std::size_t N>
constexpr bool covers(const std::array<Field, N>& fields) {
    std::size_t end = 0;
    std::size_t widest = 1;
    for (const Field& field : fields) {
        if (field.offset != align_up(end, alignment(field.kind))) return false;
        end = field.offset + field.size;
        widest = std::max(widest, alignment(field.kind));
    }
    return align_up(end, widest) == sizeof(S);
}

using RspLogin = CThostFtdcRspUserLoginField;
constexpr std::array<Field, 19> kRspLoginFields{{
    TICKHUB_FIELD(RspLogin, TradingDay),
    TICKHUB_FIELD(RspLogin, LoginTime),
    TICKHUB_FIELD(RspLogin, BrokerID),
    TICKHUB_FIELD(RspLogin, UserID),
    TICKHUB_FIELD(RspLogin, SystemName),
    TICKHUB_FIELD(RspLogin, FrontID),
    TICKHUB_FIELD(RspLogin, SessionID),
    TICKHUB_FIELD(RspLogin, MaxOrderRef),
    TICKHUB_FIELD(RspLogin, SHFETime),
    TICKHUB_FIELD(RspLogin, DCETime),
    TICKHUB_FIELD(RspLogin, CZCETime),
    TICKHUB_FIELD(RspLogin, FFEXTime),
    TICKHUB_FIELD(RspLogin, INETime),
    TICKHUB_FIELD(RspLogin, SysVersion),
    TICKHUB_FIELD(RspLogin, GFEXTime),
    TICKHUB_FIELD(RspLogin, LoginDRIdentityID),
    TICKHUB_FIELD(RspLogin, UserDRIdentityID),
    TICKHUB_FIELD(RspLogin, LastLoginTime),
    TICKHUB_FIELD(RspLogin, ReserveInfo),
}};
static_assert(covers<RspLogin>(kRspLoginFields),
              "kRspLoginFields misses a CThostFtdcRspUserLoginField member");

using RspInfo = CThostFtdcRspInfoField;
constexpr std::array<Field, 2> kRspInfoFields{{
    TICKHUB_FIELD(RspInfo, ErrorID),
    TICKHUB_FIELD(RspInfo, ErrorMsg),
}};
static_assert(covers<RspInfo>(kRspInfoFields),
              "kRspInfoFields misses a CThostFtdcRspInfoField member");

using Logout = CThostFtdcUserLogoutField;
constexpr std::array<Field, 2> kLogoutFields{{
    TICKHUB_FIELD(Logout, BrokerID),
    TICKHUB_FIELD(Logout, UserID),
}};
static_assert(covers<Logout>(kLogoutFields),
              "kLogoutFields misses a CThostFtdcUserLogoutField member");

using ReqLogin = CThostFtdcReqUserLoginField;
constexpr std::array<Field, 13> kReqLoginFields{{
    TICKHUB_FIELD(ReqLogin, TradingDay),
    TICKHUB_FIELD(ReqLogin, BrokerID),
    TICKHUB_FIELD(ReqLogin, UserID),
    TICKHUB_FIELD(ReqLogin, Password),
    TICKHUB_FIELD(ReqLogin, UserProductInfo),
    TICKHUB_FIELD(ReqLogin, InterfaceProductInfo),
    TICKHUB_FIELD(ReqLogin, ProtocolInfo),
    TICKHUB_FIELD(ReqLogin, MacAddress),
    TICKHUB_FIELD(ReqLogin, OneTimePassword),
    TICKHUB_FIELD(ReqLogin, reserve1),
    TICKHUB_FIELD(ReqLogin, LoginRemark),
    TICKHUB_FIELD(ReqLogin, ClientIPPort),
    TICKHUB_FIELD(ReqLogin, ClientIPAddress),
}};
static_assert(covers<ReqLogin>(kReqLoginFields),
              "kReqLoginFields misses a CThostFtdcReqUserLoginField member");

// A struct's table as a lookup by name (built once, read-only afterwards).
class Table {
   public:
    template <std::size_t N>
    explicit Table(const std::array<Field, N>& fields) : fields_(fields.begin(), fields.end()) {
        for (const Field& field : fields_) by_name_.emplace(field.name, &field);
    }

    const Field* find(std::string_view name) const {
        auto found = by_name_.find(name);
        return found == by_name_.end() ? nullptr : found->second;
    }

   private:
    std::vector<Field> fields_;
    std::unordered_map<std::string_view, const Field*> by_name_;
};

const Table& rsp_login_table() {
    static const Table table(kRspLoginFields);
    return table;
}
const Table& rsp_info_table() {
    static const Table table(kRspInfoFields);
    return table;
}
const Table& logout_table() {
    static const Table table(kLogoutFields);
    return table;
}

// --- reading values ---------------------------------------------------------------------

bool parse_int(std::string_view text, int& out) {
    if (text.empty() || text.size() > 32) return false;
    char buffer[33];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    errno = 0;
    char* end = nullptr;
    long value = strtol_l(buffer, &end, 10, c_locale());
    if (errno != 0 || end != buffer + text.size()) return false;
    if (value < INT_MIN || value > INT_MAX) return false;
    out = static_cast<int>(value);
    return true;
}

bool parse_double(std::string_view text, double& out) {
    if (text.empty() || text.size() > 64) return false;
    char buffer[65];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    char* end = nullptr;
    double value = strtod_l(buffer, &end, c_locale());  // ERANGE (a subnormal) still reads
    if (end != buffer + text.size()) return false;
    out = value;
    return true;
}

// How many bytes of GB18030 `text` fit in `room` without cutting a character in two
// (vnpy_ctp turns a field with half a character into an empty string). Bytes that are
// not GB18030 count one each: they are copied as they came.
std::size_t gb18030_fit(std::string_view text, std::size_t room) {
    if (text.size() <= room) return text.size();
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t width = 1;
        if (byte(at) >= 0x81 && byte(at) <= 0xFE && at + 1 < text.size()) {
            const unsigned char second = byte(at + 1);
            if (second >= 0x30 && second <= 0x39) {
                if (at + 3 < text.size() && byte(at + 2) >= 0x81 && byte(at + 2) <= 0xFE &&
                    byte(at + 3) >= 0x30 && byte(at + 3) <= 0x39) {
                    width = 4;
                }
            } else if (second >= 0x40 && second != 0x7F && second != 0xFF) {
                width = 2;
            }
        }
        if (at + width > room) break;
        at += width;
    }
    return at;
}

// Writes one field into the struct at `base`; false for a number that does not parse.
bool set_field(void* base, const Field& field, std::string_view value) {
    char* at = static_cast<char*>(base) + field.offset;
    switch (field.kind) {
        case Kind::Text: {
            std::size_t length = gb18030_fit(value, field.size - 1);  // and keep the NUL
            std::memset(at, 0, field.size);
            std::memcpy(at, value.data(), length);
            return true;
        }
        case Kind::Char:
            if (value.size() > 1) return false;
            *at = value.empty() ? '\0' : value[0];
            return true;
        case Kind::Int: {
            int number = 0;
            if (!parse_int(value, number)) return false;
            std::memcpy(at, &number, sizeof number);
            return true;
        }
        case Kind::Double: {
            double number = 0;
            if (!parse_double(value, number)) return false;
            std::memcpy(at, &number, sizeof number);
            return true;
        }
    }
    return false;
}

// --- lines ------------------------------------------------------------------------------

struct Message {
    std::string_view type;
    std::vector<std::pair<std::string_view, std::string_view>> fields;

    // The last value given for `key` (a key given twice keeps its last value).
    const std::string_view* get(std::string_view key) const {
        for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
            if (it->first == key) return &it->second;
        }
        return nullptr;
    }
};

// "TYPE\tkey=value\t..." (without its line end) -> Message; false when malformed.
bool parse_line(std::string_view line, Message& out) {
    out.fields.clear();
    if (line.find('\r') != std::string_view::npos) return false;  // only "\r\n" ends a line
    std::size_t tab = line.find('\t');
    out.type = line.substr(0, tab);
    if (out.type.empty() || out.type.find('=') != std::string_view::npos) return false;
    while (tab != std::string_view::npos) {
        std::size_t start = tab + 1;
        tab = line.find('\t', start);
        const std::size_t length = tab == std::string_view::npos ? tab : tab - start;
        std::string_view pair = line.substr(start, length);
        std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos || equals == 0) return false;
        out.fields.emplace_back(pair.substr(0, equals), pair.substr(equals + 1));
    }
    return true;
}

// Fills each struct from the message's fields it knows; false for a bad number.
bool fill(const Message& message, std::initializer_list<std::pair<const Table*, void*>> targets) {
    for (const auto& [key, value] : message.fields) {
        for (const auto& [table, base] : targets) {
            const Field* field = table->find(key);
            if (field != nullptr && !set_field(base, *field, value)) return false;
        }
    }
    return true;
}

bool read_int(const Message& message, std::string_view key, int fallback, int& out) {
    const std::string_view* value = message.get(key);
    if (value == nullptr) {
        out = fallback;
        return true;
    }
    return parse_int(*value, out);
}

// A value the wire can carry: no TAB, CR or LF.
bool sendable(std::string_view value) {
    return value.find_first_of("\t\r\n") == std::string_view::npos;
}

// --- front addresses --------------------------------------------------------------------

struct Front {
    std::string address;  // as registered, for messages
    std::string host;
    std::string port;
};

// "tcp://host:port" (host a name, an IPv4 address or [an IPv6 one]); false with the
// reason otherwise. CTP's ssl:// and socks fronts are not for the stand-in.
bool parse_front(const std::string& address, Front& out, std::string& why) {
    const std::string scheme = "tcp://";
    if (address.compare(0, scheme.size(), scheme) != 0) {
        why = "only tcp://host:port fronts are supported";
        return false;
    }
    std::string rest = address.substr(scheme.size());
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    std::string host;
    std::string port;
    if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
            why = "expected tcp://[ipv6]:port";
            return false;
        }
        host = rest.substr(1, close - 1);
        port = rest.substr(close + 2);
    } else {
        std::size_t colon = rest.rfind(':');
        if (colon == std::string::npos) {
            why = "no port";
            return false;
        }
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    int number = 0;
    if (host.empty() || !parse_int(port, number) || number < 1 || number > 65535) {
        why = "expected tcp://host:port with a port from 1 to 65535";
        return false;
    }
    out = Front{address, host, port};
    return true;
}

struct JoinState {
    std::mutex mutex;
    std::condition_variable released_changed;
    bool released = false;
};

std::string format_field(const void* base, const Field& field) {
    const char* at = static_cast<const char*>(base) + field.offset;
    switch (field.kind) {
        case Kind::Text:
            return std::string(at, strnlen(at, field.size));
        case Kind::Char:
            return *at == '\0' ? std::string() : std::string(1, *at);
        case Kind::Int: {
            int number = 0;
            std::memcpy(&number, at, sizeof number);
            return number == 0 ? std::string() : std::to_string(number);
        }
        case Kind::Double: {
            double number = 0;
            std::memcpy(&number, at, sizeof number);
            if (number == 0) return std::string();
            char text[64];
            locale_t previous = uselocale(c_locale());
            std::snprintf(text, sizeof text, "%.17g", number);
            uselocale(previous);
            return text;
        }
    }
    return std::string();
}


// The non-empty members of a struct as "\tName=value" fields of a line; false (and
// the line not to be sent) when a value cannot travel (a TAB or a line break).
template <std::size_t N>
bool append_fields(std::string& line, const void* base, const std::array<Field, N>& fields,
                   const char* request, bool skip_empty = true) {
    for (const Field& field : fields) {
        std::string value = format_field(base, field);
        if (skip_empty && value.empty()) continue;
        if (!sendable(value)) {
            log_line(std::string(request) + " not sent: " + field.name +
                     " contains a TAB or a line break");
            return false;
        }
        line += '\t';
        line += field.name;
        line += '=';
        line += value;
    }
    return true;
}

// The request fields every response carries: request_id (0 when absent), last (1 when
// absent) and the CThostFtdcRspInfoField; false for a malformed line.
struct Response {
    int request_id = 0;
    bool last = true;
    CThostFtdcRspInfoField info;
};

// --- the api ----------------------------------------------------------------------------

// One stand-in api object: `Api` is CTP's abstract class (CThostFtdcMdApi or
// CThostFtdcTraderApi), `Spi` its callbacks' class, `Derived` the final class that adds
// its own requests and answers (CRTP: no virtual function is added to CTP's vtable).
// Derived provides
//     int handle_message(const Message&)       MD and other unsolicited lines, or kNotMine
//     int handle_response(const Message&, Response&)   its RSP_* lines, or kNotMine
// each returning 0 or the reason to drop the link.
template <typename Derived, typename Api, typename Spi>
class LocalApi : public Api {
   public:
    LocalApi() : join_state_(std::make_shared<JoinState>()) {
        wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    }

    LocalApi(const LocalApi&) = delete;
    LocalApi& operator=(const LocalApi&) = delete;

    void Release() override {
        stopping_ = true;
        wake();
        {
            // Waits for a callback in flight; none starts afterwards.
            std::lock_guard<std::recursive_mutex> lock(spi_mutex_);
            spi_ = nullptr;
        }
        std::thread thread;
        {
            std::lock_guard<std::mutex> lock(thread_mutex_);
            thread = std::move(thread_);
        }
        if (thread.joinable()) {
            if (std::this_thread::get_id() == thread.get_id()) {
                // From one of our own callbacks: the thread ends when the callback
                // returns, and deletes the api on its way out.
                delete_on_exit_ = true;
                thread.detach();
                mark_released();
                return;
            }
            thread.join();
        }
        mark_released();
        delete static_cast<Derived*>(this);
    }

    void Init() override {
        std::lock_guard<std::mutex> lock(thread_mutex_);
        if (started_) return;
        started_ = true;
        thread_ = std::thread(&LocalApi::thread_main, this);
    }

    int Join() override {
        std::shared_ptr<JoinState> state = join_state_;  // outlives `delete this`
        std::unique_lock<std::mutex> lock(state->mutex);
        state->released_changed.wait(lock, [&] { return state->released; });
        return 0;
    }

    const char* GetTradingDay() override {
        std::lock_guard<std::mutex> lock(day_mutex_);
        return trading_day_;
    }

    void RegisterFront(char* pszFrontAddress) override {
        if (pszFrontAddress == nullptr) return;
        std::string address(pszFrontAddress);
        Front front;
        std::string why;
        if (!parse_front(address, front, why)) {
            log_line("front " + address + " refused (" + why + "); it is never connected");
            return;
        }
        std::lock_guard<std::mutex> lock(config_mutex_);
        fronts_.push_back(front);
    }

    void RegisterNameServer(char* pszNsAddress) override {
        log_line(std::string("name server ") + (pszNsAddress ? pszNsAddress : "") +
                 " ignored: the stand-in connects to registered fronts only");
    }

    void RegisterFensUserInfo(CThostFtdcFensUserInfoField*) override {}

    void RegisterSpi(Spi* pSpi) override {
        std::lock_guard<std::recursive_mutex> lock(spi_mutex_);
        spi_ = pSpi;
    }

   protected:
    static constexpr int kNotMine = -1;

    // Only Release() deletes (CTP's destructors are protected, and so are these).
    ~LocalApi() {
        if (wake_fd_ >= 0) close(wake_fd_);
    }

    // `TYPE\trequest_id=N`, then `prefix` (e.g. "\tapi=td"), then the struct's
    // non-empty fields: 0 when sent, -1 when not (not greeted, a bad value).
    template <std::size_t N>
    int send_request(const char* type, const char* request, int request_id, const void* base,
                     const std::array<Field, N>& fields, const char* prefix = "",
                     bool skip_empty = true) {
        std::string line = std::string(type) + "\trequest_id=" + std::to_string(request_id);
        line += prefix;
        if (base != nullptr && !append_fields(line, base, fields, request, skip_empty)) return -1;
        return send_line(line + '\n');
    }

    // The front the link is connected to ("" between connections).
    std::string current_front() {
        std::lock_guard<std::mutex> lock(config_mutex_);
        return current_front_;
    }

   private:
    static void thread_main(LocalApi* api) {
        {
            // Init() assigns thread_ while this thread already runs: a Release() from
            // one of its callbacks must see the assignment.
            std::lock_guard<std::mutex> lock(api->thread_mutex_);
        }
        api->run();
        if (api->delete_on_exit_) delete static_cast<Derived*>(api);  // released in a callback
    }

    // --- the network thread ---------------------------------------------------------------

    void run() {
        while (!stopping_) {
            Front front;
            if (next_front(front)) {
                int fd = connect_to(front);
                if (fd >= 0) {
                    set_current_front(front.address);
                    session(fd);
                    set_current_front("");
                }
            }
            if (stopping_) break;
            pause(kReconnectDelay);
        }
    }

    void set_current_front(const std::string& address) {
        std::lock_guard<std::mutex> lock(config_mutex_);
        current_front_ = address;
    }

    // The next registered front, round robin.
    bool next_front(Front& out) {
        std::lock_guard<std::mutex> lock(config_mutex_);
        if (fronts_.empty()) return false;
        out = fronts_[next_front_ % fronts_.size()];
        next_front_ = (next_front_ + 1) % fronts_.size();
        return true;
    }

    // A connected socket, or -1 (refused, unreachable or released: no callback).
    int connect_to(const Front& front) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        int error = getaddrinfo(front.host.c_str(), front.port.c_str(), &hints, &found);
        if (error != 0) {
            if (unresolved_.insert_if_new(front.address)) {
                log_line("front " + front.address + ": cannot resolve " + front.host + ": " +
                         gai_strerror(error));
            }
            return -1;
        }
        unresolved_.forget(front.address);
        int connected = -1;
        for (addrinfo* at = found; at != nullptr && connected < 0 && !stopping_; at = at->ai_next) {
            connected = connect_one(at);
        }
        freeaddrinfo(found);
        return connected;
    }

    int connect_one(const addrinfo* address) {
        int fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        address->ai_protocol);
        if (fd < 0) return -1;
        if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                close(fd);
                return -1;
            }
            const auto deadline = Clock::now() + kConnectTimeout;
            for (;;) {
                pollfd polled[2] = {{fd, POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
                int ready = poll(polled, 2, millis_until(deadline));
                if (ready < 0 && errno == EINTR) continue;
                drain_wake();
                if (stopping_ || ready <= 0) {
                    close(fd);
                    return -1;
                }
                if (polled[0].revents != 0) break;
            }
            int failure = 0;
            socklen_t length = sizeof failure;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 || failure != 0) {
                close(fd);
                return -1;
            }
        }
        // Blocking from here: the reader polls first, and a write waits at most
        // kSendTimeoutS for a front that stopped reading.
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval send_timeout{kSendTimeoutS, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
        return fd;
    }

    // One connection, from connect to drop; reports the drop unless released.
    void session(int fd) {
        write_failed_ = false;
        {
            std::lock_guard<std::mutex> lock(write_mutex_);
            fd_ = fd;
        }
        const auto connected_at = Clock::now();
        auto last_received = connected_at;
        auto next_heartbeat = connected_at;
        bool greeted = false;
        bool warned = false;
        std::chrono::milliseconds heartbeat{0};
        std::chrono::milliseconds timeout{0};
        std::string buffer;
        std::vector<char> chunk(64 * 1024);
        int reason = 0;

        while (!stopping_ && reason == 0) {
            const auto now = Clock::now();
            if (write_failed_) {
                reason = kWriteFailed;
                break;
            }
            Clock::time_point wake_at;
            if (!greeted) {
                if (now - connected_at >= kHelloTimeout) {
                    reason = kHeartbeatTimeout;
                    break;
                }
                wake_at = connected_at + kHelloTimeout;
            } else {
                const auto silent = now - last_received;
                if (silent >= timeout) {
                    reason = kHeartbeatTimeout;
                    break;
                }
                const auto warn_at = last_received + timeout / 2 + std::chrono::milliseconds(1);
                if (!warned && now >= warn_at) {
                    warned = true;
                    // Whole seconds, as CTP reports it; never 0 for a half timeout below 2 s.
                    using std::chrono::duration_cast;
                    const long long whole = duration_cast<std::chrono::seconds>(silent).count();
                    const int lapse = static_cast<int>(std::max<long long>(whole, 1));
                    notify([lapse](Spi* spi) { spi->OnHeartBeatWarning(lapse); });
                    continue;
                }
                if (now >= next_heartbeat) {
                    if (send_line("HB\n") != 0) {
                        reason = kWriteFailed;
                        break;
                    }
                    next_heartbeat += heartbeat;
                    if (next_heartbeat <= now) next_heartbeat = now + heartbeat;
                }
                wake_at = std::min(last_received + timeout, next_heartbeat);
                if (!warned) wake_at = std::min(wake_at, warn_at);
            }

            pollfd polled[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
            int ready = poll(polled, 2, millis_until(wake_at));
            if (ready < 0) {
                if (errno == EINTR) continue;
                reason = kReadFailed;
                break;
            }
            if (polled[1].revents != 0) drain_wake();
            if (polled[0].revents == 0) continue;

            ssize_t got = recv(fd, chunk.data(), chunk.size(), 0);
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0) {
                reason = kReadFailed;
                break;
            }
            last_received = Clock::now();
            warned = false;
            buffer.append(chunk.data(), static_cast<std::size_t>(got));

            std::size_t start = 0;
            for (;;) {
                std::size_t end = buffer.find('\n', start);
                if (end == std::string::npos) break;
                std::string_view line(buffer.data() + start, end - start);
                start = end + 1;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                if (line.size() > kMaxLine) {
                    reason = kBadPacket;
                    break;
                }
                if (!greeted) {
                    if (!greet(line, heartbeat, timeout)) {
                        reason = kBadPacket;
                        break;
                    }
                    greeted = true;
                    last_received = Clock::now();
                    next_heartbeat = last_received + heartbeat;
                    greeted_ = true;  // before the callback: it may log in at once
                    notify([](Spi* spi) { spi->OnFrontConnected(); });
                } else {
                    reason = handle(line);
                }
                if (reason != 0 || stopping_) break;
            }
            buffer.erase(0, start);
            // What is left is the start of a line: longer than a line can be (a "\r"
            // may still come before its "\n") means it never ends well.
            if (reason == 0 && buffer.size() > kMaxLine + 1) reason = kBadPacket;
        }

        // Unblocks a request stuck in send(); from here on every request returns -1.
        shutdown(fd, SHUT_RDWR);
        {
            std::lock_guard<std::mutex> lock(write_mutex_);
            greeted_ = false;
            fd_ = -1;
        }
        close(fd);
        if (reason != 0 && !stopping_) {
            notify([reason](Spi* spi) { spi->OnFrontDisconnected(reason); });
        }
    }

    // The first line: a tickhub front's HELLO, or the link is dropped.
    static bool greet(std::string_view line, std::chrono::milliseconds& heartbeat,
                      std::chrono::milliseconds& timeout) {
        Message message;
        if (!parse_line(line, message) || message.type != "HELLO") return false;
        const std::string_view* front = message.get("front");
        int protocol = 0;
        int heartbeat_s = 0;
        int timeout_s = 0;
        if (front == nullptr || *front != kFrontName) return false;
        if (!read_int(message, "protocol", 0, protocol)) return false;
        if (protocol != kProtocolVersion) return false;
        if (!read_int(message, "heartbeat_s", 0, heartbeat_s) || heartbeat_s < 1) return false;
        if (!read_int(message, "timeout_s", 0, timeout_s) || timeout_s < 1) return false;
        heartbeat = std::chrono::seconds(heartbeat_s);
        timeout = std::chrono::seconds(timeout_s);
        return true;
    }

    // One line after HELLO; 0, or the reason to drop the link.
    int handle(std::string_view line) {
        Message message;
        if (!parse_line(line, message)) return kBadPacket;
        const std::string_view type = message.type;
        if (type == "HB" || type == "HELLO") return 0;

        Derived& api = static_cast<Derived&>(*this);
        int handled = api.handle_message(message);
        if (handled != kNotMine) return handled;

        Response response;
        std::memset(&response.info, 0, sizeof response.info);
        int last = 1;
        if (!read_int(message, "request_id", 0, response.request_id)) return kBadPacket;
        if (!read_int(message, "last", 1, last) || (last != 0 && last != 1)) return kBadPacket;
        response.last = last == 1;
        CThostFtdcRspInfoField& info = response.info;
        const int request_id = response.request_id;

        if (type == "RSP_LOGIN") {
            CThostFtdcRspUserLoginField login;
            std::memset(&login, 0, sizeof login);
            if (!fill(message, {{&rsp_login_table(), &login}, {&rsp_info_table(), &info}})) {
                return kBadPacket;
            }
            if (info.ErrorID == 0) {
                std::lock_guard<std::mutex> lock(day_mutex_);
                std::memcpy(trading_day_, login.TradingDay, sizeof trading_day_);
            }
            notify([&](Spi* spi) { spi->OnRspUserLogin(&login, &info, request_id, true); });
        } else if (type == "RSP_LOGOUT") {
            CThostFtdcUserLogoutField logout;
            std::memset(&logout, 0, sizeof logout);
            if (!fill(message, {{&logout_table(), &logout}, {&rsp_info_table(), &info}})) {
                return kBadPacket;
            }
            notify([&](Spi* spi) { spi->OnRspUserLogout(&logout, &info, request_id, true); });
        } else if (type == "RSP_ERROR") {
            if (!fill(message, {{&rsp_info_table(), &info}})) return kBadPacket;
            const bool is_last = response.last;
            notify([&](Spi* spi) { spi->OnRspError(&info, request_id, is_last); });
        } else {
            handled = api.handle_response(message, response);
            if (handled != kNotMine) return handled;
        }
        // Any other type is a later protocol's: life, and otherwise ignored.
        return 0;
    }

   protected:
    // Calls the spi on this thread, unless released; never while Release() waits.
    template <typename Call>
    void notify(Call&& call) {
        std::lock_guard<std::recursive_mutex> lock(spi_mutex_);
        if (spi_ == nullptr || stopping_) return;
        try {
            call(spi_);
        } catch (const std::exception& error) {
            log_line(std::string("a callback threw: ") + error.what());
        } catch (...) {
            log_line("a callback threw");
        }
    }

    // --- sending (any thread) -----------------------------------------------------------

    // 0 when the whole line went out; -1 when not greeted, or the write failed (the
    // network thread then drops the link with 0x1002).
    int send_line(const std::string& line) {
        std::lock_guard<std::mutex> lock(write_mutex_);
        if (fd_ < 0 || !greeted_) return -1;
        std::size_t sent = 0;
        while (sent < line.size()) {
            ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                write_failed_ = true;
                wake();
                return -1;
            }
            sent += static_cast<std::size_t>(n);
        }
        return 0;
    }

    // SUB/UNSUB with the ids, comma-separated, split over lines if there are many.
    int send_ids(const char* type, char* ids[], int count) {
        if (!greeted_) return -1;
        if (ids == nullptr || count <= 0) return 0;
        std::vector<std::string> lines;
        std::string line;
        for (int i = 0; i < count; ++i) {
            if (ids[i] == nullptr || ids[i][0] == '\0') continue;
            std::string_view id(ids[i], strnlen(ids[i], sizeof(TThostFtdcInstrumentIDType)));
            if (!sendable(id) || id.find(',') != std::string_view::npos) {
                log_line(std::string(type) + " not sent: instrument id '" + std::string(id) +
                         "' contains a comma, a TAB or a line break");
                return -1;
            }
            if (!line.empty() && line.size() + id.size() + 2 > kMaxSubLine) {
                lines.push_back(line + '\n');
                line.clear();
            }
            line += line.empty() ? std::string(type) + "\tids=" : std::string(",");
            line += id;
        }
        if (!line.empty()) lines.push_back(line + '\n');
        for (const std::string& each : lines) {
            if (send_line(each) != 0) return -1;
        }
        return 0;
    }

    // -1, and one line on stderr the first time `what` is asked for.
    int unsupported(const char* what) {
        bool first = false;
        {
            std::lock_guard<std::mutex> lock(unsupported_mutex_);
            first = unsupported_.insert_if_new(what);
        }
        if (first) {
            log_line(std::string(what) +
                     " is not supported by the stand-in (tickhub's front has no such service); "
                     "it returns -1");
        }
        return -1;
    }

   private:
    // --- waking and waiting ---------------------------------------------------------------

    void wake() {
        std::uint64_t one = 1;
        ssize_t written = write(wake_fd_, &one, sizeof one);
        (void)written;  // a full counter already wakes
    }

    void drain_wake() {
        std::uint64_t count = 0;
        ssize_t got = read(wake_fd_, &count, sizeof count);
        (void)got;
    }

    static int millis_until(Clock::time_point deadline) {
        using std::chrono::milliseconds;
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        return static_cast<int>(std::clamp<decltype(left)>(left + 1, 0, 60 * 1000));
    }

    // About `delay`, or less when released.
    void pause(std::chrono::milliseconds delay) {
        const auto deadline = Clock::now() + delay;
        while (!stopping_ && Clock::now() < deadline) {
            pollfd polled{wake_fd_, POLLIN, 0};
            if (poll(&polled, 1, millis_until(deadline)) > 0) drain_wake();
        }
    }

    void mark_released() {
        std::shared_ptr<JoinState> state = join_state_;
        {
            std::lock_guard<std::mutex> lock(state->mutex);
            state->released = true;
        }
        state->released_changed.notify_all();
    }

    // Names logged once until they resolve again (a front retried every second must
    // not flood stderr).
    class OnceSet {
       public:
        bool insert_if_new(const std::string& name) {
            if (std::find(names_.begin(), names_.end(), name) != names_.end()) return false;
            names_.push_back(name);
            return true;
        }
        void forget(const std::string& name) {
            names_.erase(std::remove(names_.begin(), names_.end(), name), names_.end());
        }

       private:
        std::vector<std::string> names_;
    };

    std::shared_ptr<JoinState> join_state_;
    int wake_fd_ = -1;
    std::mutex thread_mutex_;
    std::thread thread_;    // guarded by thread_mutex_
    bool started_ = false;  // guarded by thread_mutex_
    std::atomic<bool> stopping_{false};
    bool delete_on_exit_ = false;  // set and read on the network thread only

    std::mutex config_mutex_;
    std::vector<Front> fronts_;
    std::size_t next_front_ = 0;
    std::string current_front_;
    OnceSet unresolved_;  // network thread only

    std::recursive_mutex spi_mutex_;  // recursive: a callback may call RegisterSpi/Release
    Spi* spi_ = nullptr;

    std::mutex write_mutex_;
    int fd_ = -1;                       // guarded by write_mutex_
    std::atomic<bool> greeted_{false};  // set on HELLO, cleared under write_mutex_
    std::atomic<bool> write_failed_{false};

    std::mutex unsupported_mutex_;
    OnceSet unsupported_;  // guarded by unsupported_mutex_

    std::mutex day_mutex_;
    TThostFtdcDateType trading_day_ = {};
};

}  // namespace
