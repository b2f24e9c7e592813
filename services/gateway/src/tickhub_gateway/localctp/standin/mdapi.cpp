// tickhub's stand-in for CTP's market-data library, libthostmduserapi_se.so.
//
// It has the ABI of CTP's own (the class CThostFtdcMdApi of ThostFtdcMdApi.h and its
// two static functions), so vnpy_ctp's extension loads it unchanged when its
// directory comes first on LD_LIBRARY_PATH. Instead of CTP's encrypted protocol it
// speaks tickhub's line protocol to `tickhub ctp-front`, exactly as specified in
// docs/ctp-front.md ("The wire protocol between the stand-in library and
// `tickhub ctp-front`"); that section is the contract, this file and link.h (what it
// shares with the trading library, tdapi.cpp) its C++ half.
//
// CTP's headers are not part of the repository: build.py compiles this file against
// the ones in the vnpy_ctp source distribution that uv.lock pins.
//
// Threads: one per api object, started by Init(). It connects, reads, sends the
// heartbeats and calls every CThostFtdcMdSpi callback; the application's threads only
// send requests (under a mutex) and never run a callback.

// Built with -fvisibility=hidden: only what the header declares (the class and its two
// statics) is exported; everything of ours stays inside the library.
#pragma GCC visibility push(default)
#include "ThostFtdcMdApi.h"
#pragma GCC visibility pop

#include "link.h"

namespace {

using Depth = CThostFtdcDepthMarketDataField;
constexpr std::array<Field, 48> kDepthFields{{
    TICKHUB_FIELD(Depth, TradingDay),
    TICKHUB_FIELD(Depth, reserve1),
    TICKHUB_FIELD(Depth, ExchangeID),
    TICKHUB_FIELD(Depth, reserve2),
    TICKHUB_FIELD(Depth, LastPrice),
    TICKHUB_FIELD(Depth, PreSettlementPrice),
    TICKHUB_FIELD(Depth, PreClosePrice),
    TICKHUB_FIELD(Depth, PreOpenInterest),
    TICKHUB_FIELD(Depth, OpenPrice),
    TICKHUB_FIELD(Depth, HighestPrice),
    TICKHUB_FIELD(Depth, LowestPrice),
    TICKHUB_FIELD(Depth, Volume),
    TICKHUB_FIELD(Depth, Turnover),
    TICKHUB_FIELD(Depth, OpenInterest),
    TICKHUB_FIELD(Depth, ClosePrice),
    TICKHUB_FIELD(Depth, SettlementPrice),
    TICKHUB_FIELD(Depth, UpperLimitPrice),
    TICKHUB_FIELD(Depth, LowerLimitPrice),
    TICKHUB_FIELD(Depth, PreDelta),
    TICKHUB_FIELD(Depth, CurrDelta),
    TICKHUB_FIELD(Depth, UpdateTime),
    TICKHUB_FIELD(Depth, UpdateMillisec),
    TICKHUB_FIELD(Depth, BidPrice1),
    TICKHUB_FIELD(Depth, BidVolume1),
    TICKHUB_FIELD(Depth, AskPrice1),
    TICKHUB_FIELD(Depth, AskVolume1),
    TICKHUB_FIELD(Depth, BidPrice2),
    TICKHUB_FIELD(Depth, BidVolume2),
    TICKHUB_FIELD(Depth, AskPrice2),
    TICKHUB_FIELD(Depth, AskVolume2),
    TICKHUB_FIELD(Depth, BidPrice3),
    TICKHUB_FIELD(Depth, BidVolume3),
    TICKHUB_FIELD(Depth, AskPrice3),
    TICKHUB_FIELD(Depth, AskVolume3),
    TICKHUB_FIELD(Depth, BidPrice4),
    TICKHUB_FIELD(Depth, BidVolume4),
    TICKHUB_FIELD(Depth, AskPrice4),
    TICKHUB_FIELD(Depth, AskVolume4),
    TICKHUB_FIELD(Depth, BidPrice5),
    TICKHUB_FIELD(Depth, BidVolume5),
    TICKHUB_FIELD(Depth, AskPrice5),
    TICKHUB_FIELD(Depth, AskVolume5),
    TICKHUB_FIELD(Depth, AveragePrice),
    TICKHUB_FIELD(Depth, ActionDay),
    TICKHUB_FIELD(Depth, InstrumentID),
    TICKHUB_FIELD(Depth, ExchangeInstID),
    TICKHUB_FIELD(Depth, BandingUpperPrice),
    TICKHUB_FIELD(Depth, BandingLowerPrice),
}};
static_assert(covers<Depth>(kDepthFields),
              "kDepthFields misses a CThostFtdcDepthMarketDataField member");


using Instrument = CThostFtdcSpecificInstrumentField;
constexpr std::array<Field, 2> kInstrumentFields{{
    TICKHUB_FIELD(Instrument, reserve1),
    TICKHUB_FIELD(Instrument, InstrumentID),
}};
static_assert(covers<Instrument>(kInstrumentFields),
              "kInstrumentFields misses a CThostFtdcSpecificInstrumentField member");


#undef TICKHUB_FIELD

const Table& depth_table() {
    static const Table table(kDepthFields);
    return table;
}
const Table& instrument_table() {
    static const Table table(kInstrumentFields);
    return table;
}

class LocalMdApi final : public LocalApi<LocalMdApi, CThostFtdcMdApi, CThostFtdcMdSpi> {
   public:
    int SubscribeMarketData(char* ppInstrumentID[], int nCount) override {
        return send_ids("SUB", ppInstrumentID, nCount);
    }

    int UnSubscribeMarketData(char* ppInstrumentID[], int nCount) override {
        return send_ids("UNSUB", ppInstrumentID, nCount);
    }

    int SubscribeForQuoteRsp(char*[], int) override {
        return unsupported("SubscribeForQuoteRsp");
    }

    int UnSubscribeForQuoteRsp(char*[], int) override {
        return unsupported("UnSubscribeForQuoteRsp");
    }

    int ReqUserLogin(CThostFtdcReqUserLoginField* pReqUserLoginField, int nRequestID) override {
        if (pReqUserLoginField == nullptr) return -1;
        return send_request("LOGIN", "ReqUserLogin", nRequestID, pReqUserLoginField,
                            kReqLoginFields);
    }

    int ReqUserLogout(CThostFtdcUserLogoutField* pUserLogout, int nRequestID) override {
        if (pUserLogout == nullptr) return -1;
        return send_request("LOGOUT", "ReqUserLogout", nRequestID, pUserLogout, kLogoutFields,
                            "", false);
    }

    int ReqQryMulticastInstrument(CThostFtdcQryMulticastInstrumentField*, int) override {
        return unsupported("ReqQryMulticastInstrument");
    }

   private:
    friend class LocalApi<LocalMdApi, CThostFtdcMdApi, CThostFtdcMdSpi>;

    ~LocalMdApi() = default;

    // MD: the only line that is not an answer.
    int handle_message(const Message& message) {
        if (message.type != "MD") return kNotMine;
        CThostFtdcDepthMarketDataField depth;
        std::memset(&depth, 0, sizeof depth);
        if (!fill(message, {{&depth_table(), &depth}})) return kBadPacket;
        notify([&](CThostFtdcMdSpi* spi) { spi->OnRtnDepthMarketData(&depth); });
        return 0;
    }

    int handle_response(const Message& message, Response& response) {
        const std::string_view type = message.type;
        if (type != "RSP_SUB" && type != "RSP_UNSUB") return kNotMine;
        CThostFtdcSpecificInstrumentField instrument;
        std::memset(&instrument, 0, sizeof instrument);
        CThostFtdcRspInfoField& info = response.info;
        if (!fill(message, {{&instrument_table(), &instrument}, {&rsp_info_table(), &info}})) {
            return kBadPacket;
        }
        const int request_id = response.request_id;
        const bool is_last = response.last;
        if (type == "RSP_SUB") {
            notify([&](CThostFtdcMdSpi* spi) {
                spi->OnRspSubMarketData(&instrument, &info, request_id, is_last);
            });
        } else {
            notify([&](CThostFtdcMdSpi* spi) {
                spi->OnRspUnSubMarketData(&instrument, &info, request_id, is_last);
            });
        }
        return 0;
    }
};

}  // namespace

CThostFtdcMdApi* CThostFtdcMdApi::CreateFtdcMdApi(const char* pszFlowPath, const bool bIsUsingUdp,
                                                  const bool bIsMulticast, bool bIsProductionMode) {
    // The flow directory is CTP's (it keeps its own files there); the stand-in needs
    // none. Nor does production mode change anything here.
    (void)pszFlowPath;
    (void)bIsProductionMode;
    if (bIsUsingUdp || bIsMulticast) {
        log_line("UDP and multicast market data are not supported; using TCP");
    }
    try {
        return new LocalMdApi();
    } catch (const std::exception& error) {
        log_line(std::string("cannot create the api: ") + error.what());
        return nullptr;
    }
}

const char* CThostFtdcMdApi::GetApiVersion() { return kVersion; }
