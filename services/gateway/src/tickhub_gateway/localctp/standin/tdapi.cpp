// tickhub's stand-in for CTP's trading library, libthosttraderapi_se.so.
//
// It has the ABI of CTP's own (the class CThostFtdcTraderApi of ThostFtdcTraderApi.h
// and its two static functions), so vnpy_ctp's vnctptd extension loads it unchanged
// when its directory comes first on LD_LIBRARY_PATH, beside the market-data stand-in
// (mdapi.cpp). It serves what a market-data hub asks of a trading front, over the
// same line protocol and link (link.h) as the market-data library, to
// `tickhub ctp-front` (docs/ctp-front.md, "The trading side"):
//
//   ReqAuthenticate            AUTH            -> RSP_AUTH            OnRspAuthenticate
//   ReqUserLogin               LOGIN api=td    -> RSP_LOGIN           OnRspUserLogin
//   ReqUserLogout              LOGOUT          -> RSP_LOGOUT          OnRspUserLogout
//   ReqQryInstrument           QRY_INSTRUMENT  -> RSP_QRY_INSTRUMENT  OnRspQryInstrument,
//                                                                     once per instrument
//   ReqSettlementInfoConfirm   CONFIRM         -> RSP_CONFIRM         OnRspSettlementInfoConfirm
//
// Every other request of the class (orders, account and position queries, transfers:
// about a hundred) returns -1, CTP's "not sent", and says so once on stderr. Those
// overrides are not written here: build.py generates them from the downloaded
// ThostFtdcTraderApi.h into tdapi_unsupported.inc (one TICKHUB_NOT_SUPPORTED(method,
// field) line each), so this file names no request it does not serve and the class
// is complete for whatever CTP release the lock pins.
//
// CTP's headers are not part of the repository: build.py compiles this file against
// the ones in the vnpy_ctp source distribution that uv.lock pins.

#pragma GCC visibility push(default)
#include "ThostFtdcTraderApi.h"
#pragma GCC visibility pop

#include "link.h"

namespace {

using ReqAuthenticate = CThostFtdcReqAuthenticateField;
constexpr std::array<Field, 5> kReqAuthenticateFields{{
    TICKHUB_FIELD(ReqAuthenticate, BrokerID),
    TICKHUB_FIELD(ReqAuthenticate, UserID),
    TICKHUB_FIELD(ReqAuthenticate, UserProductInfo),
    TICKHUB_FIELD(ReqAuthenticate, AuthCode),
    TICKHUB_FIELD(ReqAuthenticate, AppID),
}};
static_assert(covers<ReqAuthenticate>(kReqAuthenticateFields),
              "kReqAuthenticateFields misses a CThostFtdcReqAuthenticateField member");

using RspAuthenticate = CThostFtdcRspAuthenticateField;
constexpr std::array<Field, 5> kRspAuthenticateFields{{
    TICKHUB_FIELD(RspAuthenticate, BrokerID),
    TICKHUB_FIELD(RspAuthenticate, UserID),
    TICKHUB_FIELD(RspAuthenticate, UserProductInfo),
    TICKHUB_FIELD(RspAuthenticate, AppID),
    TICKHUB_FIELD(RspAuthenticate, AppType),
}};
static_assert(covers<RspAuthenticate>(kRspAuthenticateFields),
              "kRspAuthenticateFields misses a CThostFtdcRspAuthenticateField member");

using QryInstrument = CThostFtdcQryInstrumentField;
constexpr std::array<Field, 7> kQryInstrumentFields{{
    TICKHUB_FIELD(QryInstrument, reserve1),
    TICKHUB_FIELD(QryInstrument, ExchangeID),
    TICKHUB_FIELD(QryInstrument, reserve2),
    TICKHUB_FIELD(QryInstrument, reserve3),
    TICKHUB_FIELD(QryInstrument, InstrumentID),
    TICKHUB_FIELD(QryInstrument, ExchangeInstID),
    TICKHUB_FIELD(QryInstrument, ProductID),
}};
static_assert(covers<QryInstrument>(kQryInstrumentFields),
              "kQryInstrumentFields misses a CThostFtdcQryInstrumentField member");

using Instrument = CThostFtdcInstrumentField;
constexpr std::array<Field, 35> kInstrumentFields{{
    TICKHUB_FIELD(Instrument, reserve1),
    TICKHUB_FIELD(Instrument, ExchangeID),
    TICKHUB_FIELD(Instrument, InstrumentName),
    TICKHUB_FIELD(Instrument, reserve2),
    TICKHUB_FIELD(Instrument, reserve3),
    TICKHUB_FIELD(Instrument, ProductClass),
    TICKHUB_FIELD(Instrument, DeliveryYear),
    TICKHUB_FIELD(Instrument, DeliveryMonth),
    TICKHUB_FIELD(Instrument, MaxMarketOrderVolume),
    TICKHUB_FIELD(Instrument, MinMarketOrderVolume),
    TICKHUB_FIELD(Instrument, MaxLimitOrderVolume),
    TICKHUB_FIELD(Instrument, MinLimitOrderVolume),
    TICKHUB_FIELD(Instrument, VolumeMultiple),
    TICKHUB_FIELD(Instrument, PriceTick),
    TICKHUB_FIELD(Instrument, CreateDate),
    TICKHUB_FIELD(Instrument, OpenDate),
    TICKHUB_FIELD(Instrument, ExpireDate),
    TICKHUB_FIELD(Instrument, StartDelivDate),
    TICKHUB_FIELD(Instrument, EndDelivDate),
    TICKHUB_FIELD(Instrument, InstLifePhase),
    TICKHUB_FIELD(Instrument, IsTrading),
    TICKHUB_FIELD(Instrument, PositionType),
    TICKHUB_FIELD(Instrument, PositionDateType),
    TICKHUB_FIELD(Instrument, LongMarginRatio),
    TICKHUB_FIELD(Instrument, ShortMarginRatio),
    TICKHUB_FIELD(Instrument, MaxMarginSideAlgorithm),
    TICKHUB_FIELD(Instrument, reserve4),
    TICKHUB_FIELD(Instrument, StrikePrice),
    TICKHUB_FIELD(Instrument, OptionsType),
    TICKHUB_FIELD(Instrument, UnderlyingMultiple),
    TICKHUB_FIELD(Instrument, CombinationType),
    TICKHUB_FIELD(Instrument, InstrumentID),
    TICKHUB_FIELD(Instrument, ExchangeInstID),
    TICKHUB_FIELD(Instrument, ProductID),
    TICKHUB_FIELD(Instrument, UnderlyingInstrID),
}};
static_assert(covers<Instrument>(kInstrumentFields),
              "kInstrumentFields misses a CThostFtdcInstrumentField member");

using Confirm = CThostFtdcSettlementInfoConfirmField;
constexpr std::array<Field, 7> kConfirmFields{{
    TICKHUB_FIELD(Confirm, BrokerID),
    TICKHUB_FIELD(Confirm, InvestorID),
    TICKHUB_FIELD(Confirm, ConfirmDate),
    TICKHUB_FIELD(Confirm, ConfirmTime),
    TICKHUB_FIELD(Confirm, SettlementID),
    TICKHUB_FIELD(Confirm, AccountID),
    TICKHUB_FIELD(Confirm, CurrencyID),
}};
static_assert(covers<Confirm>(kConfirmFields),
              "kConfirmFields misses a CThostFtdcSettlementInfoConfirmField member");

#undef TICKHUB_FIELD

const Table& rsp_authenticate_table() {
    static const Table table(kRspAuthenticateFields);
    return table;
}
const Table& instrument_table() {
    static const Table table(kInstrumentFields);
    return table;
}
const Table& confirm_table() {
    static const Table table(kConfirmFields);
    return table;
}

class LocalTraderApi final
    : public LocalApi<LocalTraderApi, CThostFtdcTraderApi, CThostFtdcTraderSpi> {
   public:
    void GetFrontInfo(CThostFtdcFrontInfoField* pFrontInfo) override {
        if (pFrontInfo == nullptr) return;
        std::memset(pFrontInfo, 0, sizeof *pFrontInfo);
        const std::string front = current_front();
        std::memcpy(pFrontInfo->FrontAddr, front.data(),
                    std::min(front.size(), sizeof pFrontInfo->FrontAddr - 1));
    }

    // The private and public flows (orders, trades, notices) replay nothing here: the
    // front keeps no account. Accepted, as CTP accepts them, before Init().
    void SubscribePrivateTopic(THOST_TE_RESUME_TYPE) override {}
    void SubscribePublicTopic(THOST_TE_RESUME_TYPE) override {}

    // The regulator's client information: nothing to collect for a local front.
    int RegisterUserSystemInfo(CThostFtdcUserSystemInfoField*) override { return 0; }
    int SubmitUserSystemInfo(CThostFtdcUserSystemInfoField*) override { return 0; }
    int RegisterWechatUserSystemInfo(CThostFtdcWechatUserSystemInfoField*) override { return 0; }
    int SubmitWechatUserSystemInfo(CThostFtdcWechatUserSystemInfoField*) override { return 0; }

    int ReqAuthenticate(CThostFtdcReqAuthenticateField* pReqAuthenticateField,
                        int nRequestID) override {
        if (pReqAuthenticateField == nullptr) return -1;
        return send_request("AUTH", "ReqAuthenticate", nRequestID, pReqAuthenticateField,
                            kReqAuthenticateFields);
    }

    int ReqUserLogin(CThostFtdcReqUserLoginField* pReqUserLoginField, int nRequestID) override {
        if (pReqUserLoginField == nullptr) return -1;
        // api=td: the front tells a trading session from a market-data one by it.
        return send_request("LOGIN", "ReqUserLogin", nRequestID, pReqUserLoginField,
                            kReqLoginFields, "\tapi=td");
    }

    int ReqUserLogout(CThostFtdcUserLogoutField* pUserLogout, int nRequestID) override {
        if (pUserLogout == nullptr) return -1;
        return send_request("LOGOUT", "ReqUserLogout", nRequestID, pUserLogout, kLogoutFields,
                            "", false);
    }

    // Every instrument, or those of the non-empty filters (ExchangeID, InstrumentID,
    // ExchangeInstID, ProductID); a null request asks for all, as an empty one does.
    int ReqQryInstrument(CThostFtdcQryInstrumentField* pQryInstrument, int nRequestID) override {
        return send_request("QRY_INSTRUMENT", "ReqQryInstrument", nRequestID, pQryInstrument,
                            kQryInstrumentFields);
    }

    int ReqSettlementInfoConfirm(CThostFtdcSettlementInfoConfirmField* pSettlementInfoConfirm,
                                 int nRequestID) override {
        return send_request("CONFIRM", "ReqSettlementInfoConfirm", nRequestID,
                            pSettlementInfoConfirm, kConfirmFields);
    }

    // The requests the stand-in does not serve, one override each, from the header.
#define TICKHUB_NOT_SUPPORTED(method, field) \
    int method(field*, int) override { return unsupported(#method); }
#include "tdapi_unsupported.inc"
#undef TICKHUB_NOT_SUPPORTED

   private:
    friend class LocalApi<LocalTraderApi, CThostFtdcTraderApi, CThostFtdcTraderSpi>;

    ~LocalTraderApi() = default;

    // The trading front sends nothing unsolicited (no MD on this link).
    int handle_message(const Message& message) {
        if (message.type == "MD") return 0;
        return kNotMine;
    }

    int handle_response(const Message& message, Response& response) {
        const std::string_view type = message.type;
        CThostFtdcRspInfoField& info = response.info;
        const int request_id = response.request_id;
        const bool is_last = response.last;
        if (type == "RSP_AUTH") {
            CThostFtdcRspAuthenticateField answer;
            std::memset(&answer, 0, sizeof answer);
            if (!fill(message, {{&rsp_authenticate_table(), &answer}, {&rsp_info_table(), &info}})) {
                return kBadPacket;
            }
            notify([&](CThostFtdcTraderSpi* spi) {
                spi->OnRspAuthenticate(&answer, &info, request_id, true);
            });
            return 0;
        }
        if (type == "RSP_QRY_INSTRUMENT") {
            // No InstrumentID: nothing matched, and CTP passes no instrument at all.
            const bool empty = message.get("InstrumentID") == nullptr;
            CThostFtdcInstrumentField instrument;
            std::memset(&instrument, 0, sizeof instrument);
            if (!fill(message, {{&instrument_table(), &instrument}, {&rsp_info_table(), &info}})) {
                return kBadPacket;
            }
            CThostFtdcInstrumentField* given = empty ? nullptr : &instrument;
            notify([&](CThostFtdcTraderSpi* spi) {
                spi->OnRspQryInstrument(given, &info, request_id, is_last);
            });
            return 0;
        }
        if (type == "RSP_CONFIRM") {
            CThostFtdcSettlementInfoConfirmField confirm;
            std::memset(&confirm, 0, sizeof confirm);
            if (!fill(message, {{&confirm_table(), &confirm}, {&rsp_info_table(), &info}})) {
                return kBadPacket;
            }
            notify([&](CThostFtdcTraderSpi* spi) {
                spi->OnRspSettlementInfoConfirm(&confirm, &info, request_id, true);
            });
            return 0;
        }
        return kNotMine;
    }
};

}  // namespace

CThostFtdcTraderApi* CThostFtdcTraderApi::CreateFtdcTraderApi(const char* pszFlowPath,
                                                              bool bIsProductionMode) {
    // The flow directory is CTP's (it keeps its own files there); the stand-in needs
    // none. Nor does production mode change anything here.
    (void)pszFlowPath;
    (void)bIsProductionMode;
    try {
        return new LocalTraderApi();
    } catch (const std::exception& error) {
        log_line(std::string("cannot create the api: ") + error.what());
        return nullptr;
    }
}

const char* CThostFtdcTraderApi::GetApiVersion() { return kVersion; }
