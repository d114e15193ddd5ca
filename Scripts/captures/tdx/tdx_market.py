"""The simulated market behind tdx_server.py: security lists of Shenzhen (market 0) and Shanghai
(market 1), and quotes, bars, minute data and trades derived deterministically from the market,
the code and a counter, so that a re-run serves the same values.

Well-known codes carry their real short names (平安银行 000001, 贵州茅台 600519, the indices 399001,
000001 in Shanghai, ...) with invented prices; the rest of each list is filled with invented codes
and names (four-character GBK names, some shorter, some with the ST marks) up to a size that makes
pytdx page through the list (1000 records per page). Every value returned here is already what the
wire can carry (float32 rounded where the field is float32), so decode(encode(v)) == v.
"""
import hashlib
import random

from tdx_wire import f32

TRADING_DAY = (2025, 11, 21)
MARKET_SIZES = {0: 1150, 1: 1040}

KNOWN = {
    0: [("000001", "平安银行", 11.52), ("000002", "万科Ａ", 6.83), ("000063", "中兴通讯", 38.41),
        ("000333", "美的集团", 73.06), ("000651", "格力电器", 40.77), ("000858", "五粮液", 118.35),
        ("000725", "京东方Ａ", 4.12), ("002415", "海康威视", 30.96), ("002594", "比亚迪", 98.7),
        ("002230", "科大讯飞", 50.11), ("300059", "东方财富", 25.44), ("300750", "宁德时代", 375.2),
        ("300760", "迈瑞医疗", 203.6), ("399001", "深证成指", 12538.07), ("399006", "创业板指", 2920.55)],
    1: [("600000", "浦发银行", 11.62), ("600036", "招商银行", 42.9), ("600519", "贵州茅台", 1452.01),
        ("601318", "中国平安", 57.83), ("601398", "工商银行", 7.61), ("600900", "长江电力", 27.95),
        ("601857", "中国石油", 9.73), ("600276", "恒瑞医药", 61.5), ("601012", "隆基绿能", 18.66),
        ("688981", "中芯国际", 118.05), ("000001", "上证指数", 3834.89), ("000300", "沪深300", 4518.35),
        ("510300", "300ETF", 4.632)],
}
INDICES = {(0, "399001"), (0, "399006"), (1, "000001"), (1, "000300")}
PREFIXES = {0: ["000", "001", "002", "003", "300", "301"], 1: ["600", "601", "603", "605", "688"]}
FIRST = "华中东新恒金海天长国安宏广南北远泰瑞达兴"
SECOND = "信通科电能药源达盛泰联创安工材智光微康德"
SUFFIXES = ["股份", "科技", "集团", "电子", "医药", "能源", "控股", "智能", "材料", "环境"]


def rng(*key):
    """A random generator seeded by KEY (stable across runs and Python versions)."""
    digest = hashlib.sha256(":".join(map(str, key)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "little"))


def invented_name(market, index):
    """A plausible name: mostly 4 CJK characters (8 GBK bytes, no NUL), some 3, a few ST ones."""
    r = rng("name", market, index)
    stem = r.choice(FIRST) + r.choice(SECOND)
    kind = index % 23
    if kind == 5:
        return "*ST" + stem          # 7 bytes
    if kind == 11:
        return "ST" + stem           # 6 bytes
    if kind in (3, 17):
        return stem + r.choice(SUFFIXES)[0]
    return stem + r.choice(SUFFIXES)


def security_list(market):
    """The market's securities in list order: dicts with code, volunit, name, reserved,
    decimal_point, pre_close (float32), as 0x0450 carries them."""
    records = []
    used = set()
    for code, name, close in KNOWN[market]:
        records.append(security(market, code, name, close))
        used.add(code)
    index = 0
    while len(records) < MARKET_SIZES[market]:
        r = rng("code", market, index)
        code = r.choice(PREFIXES[market]) + f"{r.randrange(1000):03d}"
        if code not in used:
            used.add(code)
            close = round(r.uniform(2.5, 80.0), 2)
            records.append(security(market, code, invented_name(market, index), close))
        index += 1
    records.sort(key=lambda record: record["code"])
    return records


def security(market, code, name, close):
    r = rng("security", market, code)
    etf = code.startswith("51")
    return {"code": code, "volunit": 100, "name": name, "reserved": r.randrange(10000, 900000),
            "decimal_point": 3 if etf else 2, "pre_close": f32(close)}


LISTS = {market: security_list(market) for market in MARKET_SIZES}
BY_CODE = {(market, record["code"]): record for market, records in LISTS.items() for record in records}


def reference_price(market, code):
    """Previous close in 1/100 CNY (unknown codes get an invented one)."""
    record = BY_CODE.get((market, code))
    if record is None:
        return 1000 + rng("unknown", market, code).randrange(9000)
    return round(record["pre_close"] * 100)


def server_time(serial):
    """HHMM * 10000 + seconds * 10000 // 60 (the form pytdx's _format_time reads), from 14:30:00
    on, three seconds per serial number."""
    seconds = 14 * 3600 + 30 * 60 + 3 * serial
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (hours * 100 + minutes) * 10000 + secs * 10000 // 60


def quote(market, code, serial):
    """One security-quotes record (prices absolute in 1/100 CNY) for the SERIAL-th batch."""
    r = rng("quote", market, code, serial)
    close = reference_price(market, code)
    step = max(1, close // 400)
    price = close + r.randint(-12, 12) * step
    opening = close + r.randint(-4, 4) * step
    high = max(price, opening) + r.randint(0, 6) * step
    low = min(price, opening) - r.randint(0, 6) * step
    vol = r.randint(20_000, 4_000_000)
    s_vol = r.randint(vol // 3, 2 * vol // 3)
    active = r.randint(1, 60000)
    return {
        "market": market, "code": code, "active1": active, "price": price, "last_close": close,
        "open": opening, "high": high, "low": low, "server_time": server_time(serial),
        "reserved_neg_price": -price, "vol": vol, "cur_vol": r.randint(1, 3000),
        "amount": f32(vol * price * (100 if (market, code) not in INDICES else 1) / 100),
        "s_vol": s_vol, "b_vol": vol - s_vol, "reserved2": 0, "reserved3": r.randint(0, 900),
        "bids": [[price - level * step, r.randint(1, 40000)] for level in range(1, 6)],
        "asks": [[price + (level - 1) * step + step, r.randint(1, 40000)] for level in range(1, 6)],
        "reserved4": r.randrange(65536), "reserved5_8": [r.randint(-20, 20) for _ in range(4)],
        "speed": r.randint(-300, 300), "active2": active,
    }


def trading_days(count):
    """The COUNT weekdays up to TRADING_DAY, oldest first (no holiday calendar)."""
    import datetime
    day = datetime.date(*TRADING_DAY)
    days = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return list(reversed(days))


FIVE_MINUTE_SLOTS = [(9, 35 + 5 * i) for i in range(0, 5)] + [(10, 5 * i) for i in range(0, 12)] + \
    [(11, 5 * i) for i in range(0, 7)] + [(13, 5 + 5 * i) for i in range(0, 11)] + \
    [(14, 5 * i) for i in range(0, 12)] + [(15, 0)]


def bars(category, market, code, start, count):
    """COUNT bars ending START bars before the latest (prices in 1/1000 CNY): category 9 daily
    (u32 dates), category 0 five-minute (packed dates); others are served as daily."""
    r = rng("bars", category, market, code, start, count)
    price = reference_price(market, code) * 10
    slots = []
    if category in (0,):
        days = trading_days(1 + (start + count) // len(FIVE_MINUTE_SLOTS))
        slots = [(day, hour, minute) for day in days for hour, minute in FIVE_MINUTE_SLOTS]
    else:
        slots = [(day, None, None) for day in trading_days(start + count)]
    slots = slots[len(slots) - start - count:len(slots) - start]
    result = []
    for day, hour, minute in slots:
        opening = price + r.randint(-30, 30) * 10
        close = opening + r.randint(-80, 80) * 10
        bar = {"year": day.year, "month": day.month, "day": day.day}
        if hour is not None:
            bar.update(hour=hour, minute=minute)
        vol = r.randint(1000, 900000) * 100
        bar.update(open=opening, close=close, high=max(opening, close) + r.randint(0, 40) * 10,
                   low=min(opening, close) - r.randint(0, 40) * 10, vol=f32(vol), amount=f32(vol * close / 1000))
        result.append(bar)
        price = close
    return result


def minute_points(market, code, date=None):
    """240 minute points of a session (prices in 1/100 CNY)."""
    r = rng("minutes", market, code, date)
    price = reference_price(market, code)
    points = []
    for _ in range(240):
        price += r.randint(-3, 3)
        points.append({"price": price, "reserved": r.randint(-40, 40), "vol": r.randint(0, 20000)})
    return points


def transactions(market, code, start, count):
    """COUNT trades (prices in 1/100 CNY) from 14:57 backwards, oldest first."""
    r = rng("trades", market, code, start, count)
    price = reference_price(market, code)
    ticks = []
    for index in range(count):
        minutes = 14 * 60 + 57 - (count - index) // 20
        price += r.randint(-2, 2)
        ticks.append({"hour": minutes // 60, "minute": minutes % 60, "price": price, "vol": r.randint(1, 5000),
                      "num": r.randint(1, 40), "buyorsell": r.choice([0, 1, 2]), "reserved": 0})
    return ticks


# ---------------------------------------------------------------------------------------------
# Extended market (port 7727): markets, instruments and float32 quotes. Market ids follow the
# numbering pytdx's documentation uses (47 CFFEX futures, 30 SHFE, 29 DCE, 28 CZCE, 31 HK main
# board, 74 US stocks); names, short names and categories here are invented.

EX_MARKETS = [
    {"category": 3, "name": "中金所期货", "market": 47, "short_name": "CZ"},
    {"category": 3, "name": "上海期货", "market": 30, "short_name": "QS"},
    {"category": 3, "name": "大连商品", "market": 29, "short_name": "QD"},
    {"category": 3, "name": "郑州商品", "market": 28, "short_name": "QZ"},
    {"category": 2, "name": "香港主板", "market": 31, "short_name": "KH"},
    {"category": 4, "name": "美国股票", "market": 74, "short_name": "US"},
]
EX_INSTRUMENTS = [
    {"category": 3, "market": 47, "code": "IF2512", "name": "沪深300股指2512", "desc": "IF"},
    {"category": 3, "market": 47, "code": "IC2512", "name": "中证500股指2512", "desc": "IC"},
    {"category": 3, "market": 30, "code": "RB2601", "name": "螺纹钢2601", "desc": "RB"},
    {"category": 3, "market": 30, "code": "AU2602", "name": "黄金2602", "desc": "AU"},
    {"category": 3, "market": 29, "code": "M2605", "name": "豆粕2605", "desc": "M"},
    {"category": 3, "market": 28, "code": "SR601", "name": "白糖601", "desc": "SR"},
    {"category": 2, "market": 31, "code": "00700", "name": "腾讯控股", "desc": "HK"},
    {"category": 4, "market": 74, "code": "AAPL", "name": "苹果", "desc": "US"},
]
EX_REFERENCE = {"IF2512": 4518.2, "IC2512": 7012.4, "RB2601": 3125.0, "AU2602": 612.38, "M2605": 2861.0,
                "SR601": 5420.0, "00700": 612.5, "AAPL": 268.4}


def ex_instruments(start, count):
    return EX_INSTRUMENTS[start:start + count]


def ex_quote(market_id, code, serial):
    """One extended-market quote (float32 prices, u32 volumes)."""
    r = rng("exquote", market_id, code, serial)
    close = EX_REFERENCE.get(code, 100.0)
    tick = 0.2 if code.startswith("I") else 1.0
    price = close + r.randint(-20, 20) * tick
    volume = r.randint(10_000, 900_000)
    inner = r.randint(volume // 3, 2 * volume // 3)
    return {
        "market": market_id, "code": code, "pre_close": f32(close), "open": f32(close + r.randint(-5, 5) * tick),
        "high": f32(price + r.randint(0, 10) * tick), "low": f32(price - r.randint(0, 10) * tick), "price": f32(price),
        "kaicang": r.randint(0, 5000), "reserved1": 0, "zongliang": volume, "xianliang": r.randint(1, 300),
        "reserved2": 0, "neipan": inner, "waipan": volume - inner, "reserved3": 0, "chicang": r.randint(50_000, 300_000),
        "bids": [f32(price - level * tick) for level in range(1, 6)],
        "bid_vols": [r.randint(1, 400) for _ in range(5)],
        "asks": [f32(price + level * tick) for level in range(1, 6)],
        "ask_vols": [r.randint(1, 400) for _ in range(5)],
    }
