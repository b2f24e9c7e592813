"""The simulated market's listings: every future and option the six CTP exchanges
(SHFE, INE, DCE, CZCE, GFEX, CFFEX) list on a trading day, as the trading side's
instrument query would describe them.

**Rehearsal data, not a notice.** The products, their months and their last trading
days follow the exchanges' published rules *approximately*, so that a whole-market
instrument list looks and moves like the real one (a local CTP front serves it,
:mod:`tickhub_gateway.localctp.front`); nothing here may be read as what an exchange
lists or when a contract expires. The exchanges' own notices decide that.

The rules, each one simple and the same every year:

* **Months** per product (:class:`Product`): ``rb`` lists 12 consecutive months,
  ``m`` its eight months of the year (1, 3, 5, 7, 8, 9, 11, 12), ``SR`` six odd months,
  ``au`` its three nearest months plus the even months within a year, ``sc`` 12
  consecutive months then eight quarterly ones, ``IF`` the current month, the next one
  and the next two quarterly months, ``T`` the three nearest quarterly months. A
  product always has its months: the day after its nearest month expires, the next
  month of its rule is listed (that day is the new month's ``listed``).
* **Last trading day** (``expiry``) by exchange, moved to the next trading day when it
  falls on a holiday or a weekend: SHFE (and INE's ``bc``, ``nr``) the 15th of the
  delivery month; INE's ``sc`` and ``lu`` the last trading day of the month before;
  ``ec`` the last Monday of the month; DCE, CZCE and GFEX the 10th trading day of the
  month; CFFEX's index futures the third Friday, its bond futures the second Friday.
* **Options** for the products that have them (48 of them, SHFE's ``cu`` to CFFEX's
  ``IO``), on every listed month of their underlying until the option's own last
  trading day: SHFE the 5th-last trading day of the month before delivery, INE the
  13th-last, DCE and GFEX the 5th trading day of the month before, CZCE the 3rd-last
  trading day up to the 15th of the month before, CFFEX the future's own day. Strikes
  are a fixed ladder around the product's base price (:mod:`.products`), a round step
  of about 1.5% of it apart: 25 of them (41 for CFFEX's index options), a call and a
  put each. The index options' underlying is the index future of the same month
  (``IO2606-C-3900`` on ``IF2606``), so they list the index future's four months.
* **Symbols** as CTP writes them: ``rb2605``, CZCE's three digits ``SR605``, options
  ``au2606C600`` (SHFE, INE), ``m2605-C-3000`` (DCE, GFEX), ``SR605C5600`` (CZCE),
  ``IO2606-C-3900`` (CFFEX). Names: a future's is the product's Chinese name and its
  month (``螺纹钢2605``), an option's its symbol; every one fits CTP's InstrumentName
  (20 bytes of GB18030). Option products as CTP names them: ``au_o``, ``m_o``,
  ``si_o``, CFFEX's ``IO``, ``HO``, ``MO``; CZCE's options carry their underlying's
  product (``SR``).

Trading days are the exchanges' (weekdays that are not holidays,
:func:`tickhub_markets.calendar.exchange_holidays`): past the years the holiday
calendar knows, every weekday counts. A pure function of the date: the same day gives
the same list in every process. The whole market with options is some 23,000
instruments; each month's futures and option chain is built once, and a day's list
is kept (:func:`listed`), so asking for one day after another costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from tickhub_contracts.messages import Instrument
from tickhub_markets.calendar import exchange_holidays

from .products import spec_for

EXCHANGES: tuple[str, ...] = ("SHFE", "INE", "DCE", "CZCE", "GFEX", "CFFEX")

Month = int
"""A contract month as ``year * 12 + month - 1`` (consecutive months differ by 1)."""

_DAY = timedelta(days=1)
QUARTERS = frozenset({3, 6, 9, 12})
STRIKES_EACH_SIDE = 12
"""Strikes above and below the ladder's centre: 25 in all."""
INDEX_STRIKES_EACH_SIDE = 20
"""CFFEX's index options list more strikes: 41."""
STRIKE_STEP_SHARE = 0.015
"""A strike step is a round number near this share of the base price."""


def month_of(year: int, month: int) -> Month:
    return year * 12 + month - 1


def year_month(month: Month) -> tuple[int, int]:
    year, index = divmod(month, 12)
    return year, index + 1


# --- trading days ---------------------------------------------------------------------


def is_trading_day(day: date) -> bool:
    """Monday to Friday and not an exchange holiday the calendar knows."""
    return day.weekday() < 5 and day not in exchange_holidays()


def on_or_after(day: date) -> date:
    """``day`` if it trades, else the next trading day."""
    while not is_trading_day(day):
        day += _DAY
    return day


def on_or_before(day: date) -> date:
    while not is_trading_day(day):
        day -= _DAY
    return day


def _first_of(month: Month) -> date:
    year, number = year_month(month)
    return date(year, number, 1)


def _last_of(month: Month) -> date:
    return _first_of(month + 1) - _DAY


def nth_trading_day(month: Month, n: int) -> date:
    """The ``n``-th trading day of ``month`` (1: the first)."""
    day = on_or_after(_first_of(month))
    for _ in range(n - 1):
        day = on_or_after(day + _DAY)
    return day


def nth_last_trading_day(month: Month, n: int, until: date | None = None) -> date:
    """The ``n``-th last trading day of ``month`` (1: the last), counting only days up
    to ``until`` when given."""
    day = on_or_before(until if until is not None else _last_of(month))
    for _ in range(n - 1):
        day = on_or_before(day - _DAY)
    return day


def nth_weekday(month: Month, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0: Monday) of ``month``."""
    first = _first_of(month)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


# --- last trading days ------------------------------------------------------------------

Expiry = Callable[[Month], date]


def fifteenth(month: Month) -> date:
    """The 15th of the delivery month, or the next trading day."""
    return on_or_after(_first_of(month) + timedelta(days=14))


def tenth_trading_day(month: Month) -> date:
    return nth_trading_day(month, 10)


def last_trading_day_before(month: Month) -> date:
    """The last trading day of the month before the delivery month."""
    return nth_last_trading_day(month - 1, 1)


def last_monday(month: Month) -> date:
    monday = nth_weekday(month, 0, 4)
    if monday + timedelta(days=7) <= _last_of(month):
        monday += timedelta(days=7)
    return on_or_after(monday)


def third_friday(month: Month) -> date:
    return on_or_after(nth_weekday(month, 4, 3))


def second_friday(month: Month) -> date:
    return on_or_after(nth_weekday(month, 4, 2))


def shfe_option(month: Month) -> date:
    return nth_last_trading_day(month - 1, 5)


def ine_option(month: Month) -> date:
    return nth_last_trading_day(month - 1, 13)


def fifth_trading_day_before(month: Month) -> date:
    """DCE's and GFEX's options: the 5th trading day of the month before delivery."""
    return nth_trading_day(month - 1, 5)


def czce_option(month: Month) -> date:
    """The 3rd-last trading day up to the 15th of the month before delivery."""
    return nth_last_trading_day(month - 1, 3, until=_first_of(month - 1) + timedelta(days=14))


# --- which months a product lists ---------------------------------------------------------

MonthsRule = Callable[[Month], tuple[Month, ...]]
"""The months listed while ``front`` is the nearest one still trading."""


def consecutive(count: int) -> MonthsRule:
    def months(front: Month) -> tuple[Month, ...]:
        return tuple(range(front, front + count))

    return months


def _of_year(allowed: frozenset[int], start: Month, count: int) -> tuple[Month, ...]:
    found: list[Month] = []
    month = start
    while len(found) < count:
        if year_month(month)[1] in allowed:
            found.append(month)
        month += 1
    return tuple(found)


def cycle(*months_of_year: int) -> MonthsRule:
    """The next months of the year in ``months_of_year``, one year's worth."""
    allowed = frozenset(months_of_year)

    def months(front: Month) -> tuple[Month, ...]:
        return _of_year(allowed, front, len(allowed))

    return months


def near_and_even(near: int, within: int) -> MonthsRule:
    """``near`` consecutive months, then the even months up to ``within`` months on
    (SHFE's gold and a few others)."""

    def months(front: Month) -> tuple[Month, ...]:
        listed = set(range(front, front + near))
        listed |= {m for m in range(front, front + within) if year_month(m)[1] % 2 == 0}
        return tuple(sorted(listed))

    return months


def near_and_quarters(near: int, quarters: int) -> MonthsRule:
    """``near`` consecutive months, then the next ``quarters`` quarterly months."""

    def months(front: Month) -> tuple[Month, ...]:
        return tuple(range(front, front + near)) + _of_year(QUARTERS, front + near, quarters)

    return months


def quarters(count: int) -> MonthsRule:
    def months(front: Month) -> tuple[Month, ...]:
        return _of_year(QUARTERS, front, count)

    return months


# --- the products ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """A product's options."""

    product: str
    """CTP's ProductID of the options (``au_o``, ``IO``)."""
    expiry: Expiry
    each_side: int = STRIKES_EACH_SIDE
    multiplier: float | None = None
    """None: the underlying's."""


@dataclass(frozen=True, slots=True, eq=False)
class Product:
    exchange: str
    product: str
    """CTP's ProductID: as the symbols write it (CZCE and CFFEX upper case)."""
    name: str
    tick_size: float
    multiplier: float
    months: MonthsRule
    expiry: Expiry
    trades_in: frozenset[int] = frozenset(range(1, 13))
    """The months of the year the rule can list: the nearest one still trading is
    looked for among these."""
    options: Options | None = None


def _months_of(rule: MonthsRule) -> frozenset[int]:
    """Which months of the year ``rule`` ever lists (over a few years of fronts)."""
    return frozenset(year_month(m)[1] for front in range(24_000, 24_048) for m in rule(front))


def _product(
    exchange: str,
    product: str,
    name: str,
    tick_size: float,
    multiplier: float,
    months: MonthsRule,
    expiry: Expiry,
    options: Options | None = None,
) -> Product:
    return Product(
        exchange, product, name, tick_size, multiplier, months, expiry, _months_of(months), options
    )


def _shfe(
    product: str,
    name: str,
    tick: float,
    multiplier: float,
    months: MonthsRule | None = None,
    *,
    option: bool = False,
) -> Product:
    options = Options(f"{product}_o", shfe_option) if option else None
    rule = months or consecutive(12)
    return _product("SHFE", product, name, tick, multiplier, rule, fifteenth, options)


def _dce(
    product: str,
    name: str,
    tick: float,
    multiplier: float,
    months: MonthsRule | None = None,
    *,
    option: bool = False,
) -> Product:
    options = Options(f"{product}_o", fifth_trading_day_before) if option else None
    rule = months or consecutive(12)
    return _product("DCE", product, name, tick, multiplier, rule, tenth_trading_day, options)


def _czce(
    product: str,
    name: str,
    tick: float,
    multiplier: float,
    months: MonthsRule | None = None,
    *,
    option: bool = False,
) -> Product:
    options = Options(product, czce_option) if option else None
    rule = months or consecutive(12)
    return _product("CZCE", product, name, tick, multiplier, rule, tenth_trading_day, options)


def _gfex(
    product: str, name: str, tick: float, multiplier: float, *, option: bool = False
) -> Product:
    options = Options(f"{product}_o", fifth_trading_day_before) if option else None
    return _product(
        "GFEX", product, name, tick, multiplier, consecutive(12), tenth_trading_day, options
    )


ODD = cycle(1, 3, 5, 7, 9, 11)
INDEX_MONTHS = near_and_quarters(2, 2)


def _index(product: str, name: str, multiplier: float, option: str = "") -> Product:
    options = Options(option, third_friday, INDEX_STRIKES_EACH_SIDE, 100.0) if option else None
    return _product("CFFEX", product, name, 0.2, multiplier, INDEX_MONTHS, third_friday, options)


def _bond(product: str, name: str, tick: float, multiplier: float) -> Product:
    return _product("CFFEX", product, name, tick, multiplier, quarters(3), second_friday)


PRODUCTS: tuple[Product, ...] = (
    # SHFE
    _shfe("cu", "铜", 10, 5, option=True),
    _shfe("al", "铝", 5, 5, option=True),
    _shfe("zn", "锌", 5, 5, option=True),
    _shfe("pb", "铅", 5, 5),
    _shfe("ni", "镍", 10, 1, option=True),
    _shfe("sn", "锡", 10, 1, option=True),
    _shfe("ss", "不锈钢", 5, 5),
    _shfe("ao", "氧化铝", 1, 20, option=True),
    _shfe("ad", "铸造铝合金", 5, 10),
    _shfe("au", "黄金", 0.02, 1000, near_and_even(3, 13), option=True),
    _shfe("ag", "白银", 1, 15, option=True),
    _shfe("rb", "螺纹钢", 1, 10, option=True),
    _shfe("hc", "热轧卷板", 1, 10),
    _shfe("bu", "沥青", 1, 10, near_and_quarters(6, 6)),
    _shfe("ru", "天然橡胶", 5, 10, cycle(1, 3, 4, 5, 6, 7, 8, 9, 10, 11), option=True),
    _shfe("fu", "燃料油", 1, 10),
    _shfe("sp", "纸浆", 2, 10),
    _shfe("br", "丁二烯橡胶", 5, 5, option=True),
    _shfe("op", "胶版印刷纸", 2, 20),
    _shfe("wr", "线材", 1, 10),
    # INE
    _product(
        "INE",
        "sc",
        "原油",
        0.1,
        1000,
        near_and_quarters(12, 8),
        last_trading_day_before,
        Options("sc_o", ine_option),
    ),
    _product("INE", "bc", "国际铜", 10, 5, consecutive(12), fifteenth),
    _product("INE", "lu", "低硫燃料油", 1, 10, consecutive(12), last_trading_day_before),
    _product("INE", "nr", "20号胶", 5, 10, consecutive(12), fifteenth),
    _product("INE", "ec", "集运指数(欧线)", 0.1, 50, cycle(2, 4, 6, 8, 10, 12), last_monday),
    # DCE
    _dce("a", "豆一", 1, 10, ODD, option=True),
    _dce("b", "豆二", 1, 10, option=True),
    _dce("m", "豆粕", 1, 10, cycle(1, 3, 5, 7, 8, 9, 11, 12), option=True),
    _dce("y", "豆油", 2, 10, cycle(1, 3, 5, 7, 8, 9, 11, 12), option=True),
    _dce("p", "棕榈油", 2, 10, option=True),
    _dce("c", "玉米", 1, 10, ODD, option=True),
    _dce("cs", "玉米淀粉", 1, 10, ODD, option=True),
    _dce("i", "铁矿石", 0.5, 100, option=True),
    _dce("j", "焦炭", 0.5, 100),
    _dce("jm", "焦煤", 0.5, 60, option=True),
    _dce("l", "聚乙烯", 1, 5, option=True),
    _dce("v", "聚氯乙烯", 1, 5, option=True),
    _dce("pp", "聚丙烯", 1, 5, option=True),
    _dce("eg", "乙二醇", 1, 10, option=True),
    _dce("eb", "苯乙烯", 1, 5, option=True),
    _dce("pg", "液化石油气", 1, 20, option=True),
    _dce("rr", "粳米", 1, 10),
    _dce("bz", "纯苯", 1, 30),
    _dce("jd", "鸡蛋", 1, 10),
    _dce("lh", "生猪", 5, 16, ODD, option=True),
    _dce("fb", "纤维板", 0.5, 10),
    _dce("bb", "胶合板", 0.05, 500),
    _dce("lg", "原木", 0.5, 90, ODD),
    # CZCE
    _czce("SR", "白糖", 1, 10, ODD, option=True),
    _czce("CF", "棉花", 5, 5, ODD, option=True),
    _czce("CY", "棉纱", 5, 5),
    _czce("TA", "PTA", 2, 5, option=True),
    _czce("MA", "甲醇", 1, 10, option=True),
    _czce("FG", "玻璃", 1, 20, option=True),
    _czce("RM", "菜粕", 1, 10, cycle(1, 3, 5, 7, 8, 9, 11), option=True),
    _czce("OI", "菜油", 1, 10, ODD, option=True),
    _czce("ZC", "动力煤", 0.2, 100),
    _czce("SA", "纯碱", 1, 20, option=True),
    _czce("PF", "短纤", 2, 5, option=True),
    _czce("PX", "对二甲苯", 2, 5, option=True),
    _czce("SH", "烧碱", 1, 30, option=True),
    _czce("PR", "瓶片", 2, 15),
    _czce("PL", "丙烯", 1, 20),
    _czce("AP", "苹果", 1, 10, cycle(1, 3, 4, 5, 10, 11, 12), option=True),
    _czce("CJ", "红枣", 5, 5, cycle(1, 3, 5, 7, 9, 12)),
    _czce("UR", "尿素", 1, 20, option=True),
    _czce("SM", "锰硅", 2, 5),
    _czce("SF", "硅铁", 2, 5),
    _czce("PK", "花生", 2, 5, cycle(1, 3, 4, 10, 11, 12), option=True),
    _czce("JR", "粳稻", 1, 20, ODD),
    _czce("LR", "晚籼稻", 1, 20, ODD),
    _czce("RI", "早籼稻", 1, 20, ODD),
    _czce("RS", "油菜籽", 1, 10, cycle(7, 8, 9, 11)),
    _czce("WH", "强麦", 1, 20, ODD),
    _czce("PM", "普麦", 1, 50, ODD),
    # GFEX
    _gfex("si", "工业硅", 5, 5, option=True),
    _gfex("lc", "碳酸锂", 20, 1, option=True),
    _gfex("ps", "多晶硅", 5, 3, option=True),
    _gfex("pt", "铂", 0.05, 1000),
    _gfex("pd", "钯", 0.05, 1000),
    # CFFEX
    _index("IF", "沪深300", 300, option="IO"),
    _index("IH", "上证50", 300, option="HO"),
    _index("IC", "中证500", 200),
    _index("IM", "中证1000", 200, option="MO"),
    _bond("T", "10年期国债", 0.005, 10_000),
    _bond("TF", "5年期国债", 0.005, 10_000),
    _bond("TS", "2年期国债", 0.002, 20_000),
    _bond("TL", "30年期国债", 0.01, 10_000),
)
"""Every product listed, by exchange (the order of the lists :func:`listed` gives)."""


# --- contracts --------------------------------------------------------------------------------


def month_code(exchange: str, month: Month) -> str:
    """``2605`` (CZCE: ``605``, the year's last digit, as CZCE writes it)."""
    year, number = year_month(month)
    if exchange == "CZCE":
        return f"{year % 10}{number:02d}"
    return f"{year % 100:02d}{number:02d}"


def future_symbol(product: Product, month: Month) -> str:
    return f"{product.product}{month_code(product.exchange, month)}"


def option_symbol(product: Product, month: Month, call: bool, strike: int) -> str:
    side = "C" if call else "P"
    code = month_code(product.exchange, month)
    if product.exchange == "CFFEX":
        assert product.options is not None
        return f"{product.options.product}{code}-{side}-{strike}"
    if product.exchange in ("DCE", "GFEX"):
        return f"{product.product}{code}-{side}-{strike}"
    return f"{product.product}{code}{side}{strike}"


_ROUND_STEPS: tuple[int, ...] = tuple(
    sorted({int(m * 10**k) for m in (1, 2, 2.5, 5) for k in range(7) if m * 10**k >= 1})
)


def _round_step(raw: float) -> int:
    """The largest round number (1, 2, 2.5 or 5 times a power of ten, at least 1) not
    above ``raw``: strikes stay whole numbers, as in every symbol the exchanges write."""
    return max([1, *(step for step in _ROUND_STEPS if step <= raw)])


def strikes(product: Product) -> tuple[int, ...]:
    """The strike ladder of ``product``'s options: round steps of about 1.5% of the
    base price (:mod:`.products`), centred on it."""
    assert product.options is not None
    base = spec_for(product.product).base_price
    step = _round_step(base * STRIKE_STEP_SHARE)
    centre = max(1, round(base / step)) * step
    each = product.options.each_side
    return tuple(centre + k * step for k in range(-each, each + 1) if centre + k * step > 0)


def front_month(product: Product, day: date) -> Month:
    """The nearest month of ``product`` still trading on ``day`` (its last trading day
    is ``day`` or later)."""
    month = month_of(day.year, day.month) - 2
    while True:
        if year_month(month)[1] in product.trades_in and _expiry(product, month) >= day:
            return month
        month += 1


def _previous_front(product: Product, front: Month) -> Month:
    month = front - 1
    while year_month(month)[1] not in product.trades_in:
        month -= 1
    return month


@cache
def listing_day(product: Product, month: Month) -> date:
    """The first trading day of ``month``'s contract: the day after the last trading
    day of the nearest month whose rule did not list it yet."""
    front = _previous_front(product, month)
    for _ in range(120):
        if month not in product.months(front):
            return on_or_after(_expiry(product, front) + _DAY)
        front = _previous_front(product, front)
    raise AssertionError(f"{product.product}: month {month} is listed for ever")  # a bad rule


@cache
def _expiry(product: Product, month: Month) -> date:
    return product.expiry(month)


@cache
def _option_expiry(product: Product, month: Month) -> date:
    assert product.options is not None
    return product.options.expiry(month)


@cache
def future(product: Product, month: Month) -> Instrument:
    """The future of ``product`` for ``month``."""
    symbol = future_symbol(product, month)
    return Instrument(
        vt_symbol=f"{symbol}.{product.exchange}",
        symbol=symbol,
        exchange=product.exchange,
        product=product.product,
        kind="future",
        name=f"{product.name}{month_code(product.exchange, month)}",
        expiry=_expiry(product, month),
        listed=listing_day(product, month),
        tick_size=float(product.tick_size),
        multiplier=float(product.multiplier),
    )


@cache
def option_chain(product: Product, month: Month) -> tuple[Instrument, ...]:
    """Every option of ``product`` on ``month``'s future: by strike, the call first."""
    options = product.options
    assert options is not None
    underlying = future(product, month)
    multiplier = options.multiplier if options.multiplier is not None else product.multiplier
    expiry = _option_expiry(product, month)
    chain: list[Instrument] = []
    for strike in strikes(product):
        for call in (True, False):
            symbol = option_symbol(product, month, call, strike)
            chain.append(
                Instrument(
                    vt_symbol=f"{symbol}.{product.exchange}",
                    symbol=symbol,
                    exchange=product.exchange,
                    product=options.product,
                    kind="option",
                    name=symbol,
                    expiry=expiry,
                    listed=underlying.listed,
                    tick_size=float(product.tick_size),
                    multiplier=float(multiplier),
                    underlying=underlying.vt_symbol,
                    option_type="call" if call else "put",
                    strike=float(strike),
                )
            )
    return tuple(chain)


def _listed_months(product: Product, day: date) -> tuple[Month, ...]:
    return product.months(front_month(product, day))


def _instruments(products: Iterable[Product], day: date, options: bool) -> list[Instrument]:
    found: list[Instrument] = []
    for product in products:
        months = _listed_months(product, day)
        found.extend(future(product, month) for month in months)
        if options and product.options is not None:
            for month in months:
                if _option_expiry(product, month) >= day:
                    found.extend(option_chain(product, month))
    return found


@lru_cache(maxsize=8)
def _listed(day: date, options: bool) -> tuple[Instrument, ...]:
    return tuple(_instruments(PRODUCTS, day, options))


def listed(trading_day: date, *, options: bool = True) -> list[Instrument]:
    """Every instrument listed on ``trading_day`` (a day that does not trade is read
    as the next one that does, as CTP's trading day is): by exchange, product, the
    futures by month, then each month's options by strike, call before put. A new
    list each call; the day's instruments are built once and kept."""
    return list(_listed(on_or_after(trading_day), options))


def product_of(exchange: str, product: str) -> Product | None:
    """The product table's row, or None."""
    for row in PRODUCTS:
        if row.exchange == exchange and row.product == product:
            return row
    return None
