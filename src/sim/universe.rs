//! The simulator's built-in universe: real securities with real (English) names, plus a few
//! indices that exist only so capital-flow requests for them can be refused like OpenD does.
//!
//! Sizes are rough daily turnovers in millions of the local currency; they scale the simulated
//! flows (a mega cap moves billions a day, a small cap millions). Prices are rough reference
//! levels, not quotes. This module holds data only: no model, no IO. Of the simulator it imports
//! only `hash` (for [`Listing::id`]); [`model`](super::model) and the handler import it, never the
//! reverse.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::flow::SecurityKind;
use crate::flow::{Market, SecurityCode};

/// One security the simulator knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Listing {
    /// Code with market prefix, e.g. "HK.00700".
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Stock, ETF, warrant or index.
    pub kind: SecurityKind,
    /// Typical daily turnover in millions of the local currency.
    pub turnover_m: f64,
    /// Reference price level.
    pub price: f64,
    /// Lot size.
    pub lot: i32,
}

/// Rough size class of a security, from its turnover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Size {
    /// Under 300 million a day.
    Small,
    /// 300 million to 1.5 billion.
    Mid,
    /// 1.5 to 5 billion.
    Large,
    /// Over 5 billion a day.
    Mega,
}

impl Listing {
    /// The parsed code.
    pub fn security_code(&self) -> SecurityCode {
        let (m, c) = self.code.split_once('.').unwrap_or(("N/A", self.code));
        SecurityCode::new(Market::from_prefix(m).unwrap_or(Market::Unknown), c)
    }

    /// The market.
    pub fn market(&self) -> Market {
        self.security_code().market
    }

    /// Size class.
    pub fn size(&self) -> Size {
        match self.turnover_m {
            t if t >= 5000.0 => Size::Mega,
            t if t >= 1500.0 => Size::Large,
            t if t >= 300.0 => Size::Mid,
            _ => Size::Small,
        }
    }

    /// A stable numeric security id (FNV-1a of the code).
    pub fn id(&self) -> i64 {
        // The shift leaves 63 bits, so the conversion never fails.
        i64::try_from(super::hash::fnv1a(0, &[self.code.as_bytes()]) >> 1).unwrap_or(i64::MAX)
    }

    /// The minimum price step at `price`: HKEX's spread table (the same for stocks, ETFs and
    /// warrants here), one cent in the US (0.0001 under a dollar), one fen for A-shares.
    pub fn tick(&self, price: f64) -> f64 {
        match self.market() {
            Market::Hk => HK_TICKS
                .iter()
                .find(|(below, _)| price < *below)
                .map_or(5.0, |(_, tick)| *tick),
            Market::Us if price < 1.0 => 0.0001,
            _ => 0.01,
        }
    }

    /// The daily price limit as a fraction of the previous close: ±20 % on ChiNext (SZ.300xxx)
    /// and the STAR market (SH.688xxx), ±10 % on the other A-shares, none in HK and the US.
    pub fn price_limit(&self) -> Option<f64> {
        match self.market() {
            Market::Sh | Market::Sz => {
                let c = self.security_code();
                Some(if c.code.starts_with("300") || c.code.starts_with("688") {
                    0.2
                } else {
                    0.1
                })
            }
            _ => None,
        }
    }

    /// The owner of a warrant (its underlying stock).
    pub fn warrant_owner(&self) -> Option<&'static str> {
        WARRANT_OWNERS
            .iter()
            .find(|(w, _)| *w == self.code)
            .map(|(_, o)| *o)
    }
}

const fn l(
    code: &'static str,
    name: &'static str,
    kind: SecurityKind,
    turnover_m: f64,
    price: f64,
    lot: i32,
) -> Listing {
    Listing {
        code,
        name,
        kind,
        turnover_m,
        price,
        lot,
    }
}

const fn hk(
    code: &'static str,
    name: &'static str,
    turnover_m: f64,
    price: f64,
    lot: i32,
) -> Listing {
    l(code, name, SecurityKind::Stock, turnover_m, price, lot)
}

const fn us(code: &'static str, name: &'static str, turnover_m: f64, price: f64) -> Listing {
    l(code, name, SecurityKind::Stock, turnover_m, price, 1)
}

const fn cn(code: &'static str, name: &'static str, turnover_m: f64, price: f64) -> Listing {
    l(code, name, SecurityKind::Stock, turnover_m, price, 100)
}

const ETF: SecurityKind = SecurityKind::Etf;
const WRT: SecurityKind = SecurityKind::Warrant;
const IDX: SecurityKind = SecurityKind::Index;

/// HKEX's spread table: (prices below this, tick); 5.00 from 5,000 up.
const HK_TICKS: [(f64, f64); 10] = [
    (0.25, 0.001),
    (0.5, 0.005),
    (10.0, 0.01),
    (20.0, 0.02),
    (100.0, 0.05),
    (200.0, 0.1),
    (500.0, 0.2),
    (1000.0, 0.5),
    (2000.0, 1.0),
    (5000.0, 2.0),
];

static WARRANT_OWNERS: [(&str, &str); 4] = [
    ("HK.18001", "HK.00700"),
    ("HK.18002", "HK.00700"),
    ("HK.18003", "HK.09988"),
    ("HK.18004", "HK.03690"),
];

static LISTINGS: &[Listing] = &[
    // Hang Seng Index constituents.
    hk("HK.00001", "CKH HOLDINGS", 350.0, 48.0, 500),
    hk("HK.00002", "CLP HOLDINGS", 300.0, 66.0, 500),
    hk("HK.00003", "HK & CHINA GAS", 200.0, 6.5, 1000),
    hk("HK.00005", "HSBC HOLDINGS", 3500.0, 95.0, 400),
    hk("HK.00006", "POWER ASSETS", 200.0, 50.0, 500),
    hk("HK.00011", "HANG SENG BANK", 300.0, 110.0, 100),
    hk("HK.00012", "HENDERSON LAND", 150.0, 26.0, 1000),
    hk("HK.00016", "SHK PPT", 500.0, 85.0, 500),
    hk("HK.00017", "NEW WORLD DEV", 200.0, 6.0, 1000),
    hk("HK.00027", "GALAXY ENT", 600.0, 35.0, 1000),
    hk("HK.00066", "MTR CORPORATION", 150.0, 27.0, 500),
    hk("HK.00101", "HANG LUNG PPT", 100.0, 7.5, 1000),
    hk("HK.00175", "GEELY AUTO", 2000.0, 17.0, 1000),
    hk("HK.00241", "ALI HEALTH", 400.0, 4.5, 2000),
    hk("HK.00267", "CITIC", 150.0, 11.0, 1000),
    hk("HK.00285", "BYD ELECTRONIC", 400.0, 35.0, 500),
    hk("HK.00288", "WH GROUP", 200.0, 6.5, 500),
    hk("HK.00291", "CHINA RES BEER", 250.0, 27.0, 2000),
    hk("HK.00316", "OOIL", 100.0, 120.0, 500),
    hk("HK.00322", "TINGYI", 100.0, 11.0, 2000),
    hk("HK.00386", "SINOPEC CORP", 500.0, 4.3, 2000),
    hk("HK.00388", "HKEX", 3000.0, 400.0, 100),
    hk("HK.00669", "TECHTRONIC IND", 600.0, 95.0, 500),
    hk("HK.00688", "CHINA OVERSEAS", 500.0, 13.0, 500),
    hk("HK.00700", "TENCENT", 12000.0, 620.0, 100),
    hk("HK.00762", "CHINA UNICOM", 300.0, 8.5, 2000),
    hk("HK.00823", "LINK REIT", 400.0, 36.0, 100),
    hk("HK.00836", "CHINA RES POWER", 300.0, 18.0, 2000),
    hk("HK.00857", "PETROCHINA", 800.0, 7.0, 2000),
    hk("HK.00868", "XINYI GLASS", 150.0, 8.0, 2000),
    hk("HK.00881", "ZHONGSHENG HLDG", 150.0, 13.0, 500),
    hk("HK.00883", "CNOOC", 1200.0, 19.0, 1000),
    hk("HK.00939", "CCB", 2500.0, 7.5, 1000),
    hk("HK.00941", "CHINA MOBILE", 1500.0, 85.0, 500),
    hk("HK.00960", "LONGFOR GROUP", 300.0, 10.0, 500),
    hk("HK.00968", "XINYI SOLAR", 200.0, 3.2, 2000),
    hk("HK.00981", "SMIC", 5000.0, 70.0, 500),
    hk("HK.00992", "LENOVO GROUP", 1000.0, 10.0, 2000),
    hk("HK.01024", "KUAISHOU-W", 2500.0, 65.0, 100),
    hk("HK.01038", "CKI HOLDINGS", 100.0, 52.0, 500),
    hk("HK.01044", "HENGAN INT'L", 100.0, 23.0, 500),
    hk("HK.01088", "CHINA SHENHUA", 500.0, 33.0, 500),
    hk("HK.01093", "CSPC PHARMA", 700.0, 8.0, 2000),
    hk("HK.01099", "SINOPHARM", 150.0, 19.0, 400),
    hk("HK.01109", "CHINA RES LAND", 500.0, 27.0, 500),
    hk("HK.01113", "CK ASSET", 250.0, 34.0, 500),
    hk("HK.01177", "SINO BIOPHARM", 900.0, 6.5, 1000),
    hk("HK.01209", "CHINA RES MIXC", 150.0, 35.0, 200),
    hk("HK.01211", "BYD COMPANY", 4000.0, 100.0, 500),
    hk("HK.01299", "AIA", 2500.0, 70.0, 200),
    hk("HK.01378", "CHINA HONGQIAO", 800.0, 22.0, 500),
    hk("HK.01398", "ICBC", 2000.0, 6.0, 1000),
    hk("HK.01810", "XIAOMI-W", 12000.0, 45.0, 200),
    hk("HK.01876", "BUD APAC", 200.0, 8.0, 100),
    hk("HK.01928", "SANDS CHINA LTD", 300.0, 19.0, 400),
    hk("HK.01929", "CHOW TAI FOOK", 300.0, 13.0, 200),
    hk("HK.01997", "WHARF REIC", 80.0, 22.0, 1000),
    hk("HK.02015", "LI AUTO-W", 1500.0, 90.0, 100),
    hk("HK.02020", "ANTA SPORTS", 800.0, 90.0, 200),
    hk("HK.02269", "WUXI BIO", 1000.0, 25.0, 500),
    hk("HK.02313", "SHENZHOU INTL", 300.0, 60.0, 100),
    hk("HK.02318", "PING AN", 3000.0, 55.0, 500),
    hk("HK.02319", "MENGNIU DAIRY", 300.0, 16.0, 1000),
    hk("HK.02331", "LI NING", 400.0, 18.0, 500),
    hk("HK.02382", "SUNNY OPTICAL", 600.0, 75.0, 100),
    hk("HK.02388", "BOC HONG KONG", 500.0, 33.0, 500),
    hk("HK.02628", "CHINA LIFE", 1200.0, 20.0, 1000),
    hk("HK.02688", "ENN ENERGY", 200.0, 60.0, 100),
    hk("HK.02899", "ZIJIN MINING", 2500.0, 28.0, 2000),
    hk("HK.03690", "MEITUAN-W", 6000.0, 110.0, 100),
    hk("HK.03692", "HANSOH PHARMA", 200.0, 30.0, 2000),
    hk("HK.03968", "CM BANK", 900.0, 50.0, 500),
    hk("HK.03988", "BANK OF CHINA", 1200.0, 4.5, 1000),
    hk("HK.06618", "JD HEALTH", 600.0, 45.0, 50),
    hk("HK.06690", "HAIER SMARTHOME", 300.0, 26.0, 200),
    hk("HK.06862", "HAIDILAO", 200.0, 15.0, 1000),
    hk("HK.09618", "JD-SW", 2000.0, 130.0, 50),
    hk("HK.09633", "NONGFU SPRING", 500.0, 45.0, 200),
    hk("HK.09868", "XPENG-W", 1500.0, 80.0, 100),
    hk("HK.09888", "BIDU-SW", 800.0, 110.0, 50),
    hk("HK.09961", "TRIP.COM-S", 900.0, 540.0, 50),
    hk("HK.09988", "BABA-W", 10000.0, 150.0, 100),
    hk("HK.09999", "NTES-S", 800.0, 200.0, 100),
    // HK ETFs and warrants.
    l("HK.02800", "TRACKER FUND", ETF, 4000.0, 26.0, 500),
    l("HK.02828", "HANG SENG CHINA ENT ETF", ETF, 800.0, 92.0, 200),
    l("HK.03033", "CSOP HS TECH", ETF, 1500.0, 5.8, 200),
    l("HK.18001", "HS-TENCT@EC2612A", WRT, 60.0, 0.25, 10000),
    l("HK.18002", "UB-TENCT@EP2609B", WRT, 40.0, 0.18, 10000),
    l("HK.18003", "SG-BABA@EC2611C", WRT, 35.0, 0.32, 5000),
    l("HK.18004", "JP-MEITU@EC2612D", WRT, 25.0, 0.21, 10000),
    // Nasdaq-100.
    us("US.AAPL", "Apple", 12000.0, 230.0),
    us("US.MSFT", "Microsoft", 10000.0, 430.0),
    us("US.NVDA", "NVIDIA", 30000.0, 140.0),
    us("US.AMZN", "Amazon.com", 8000.0, 200.0),
    us("US.GOOGL", "Alphabet-A", 5000.0, 175.0),
    us("US.GOOG", "Alphabet-C", 3500.0, 176.0),
    us("US.META", "Meta Platforms", 8000.0, 580.0),
    us("US.TSLA", "Tesla", 25000.0, 330.0),
    us("US.AVGO", "Broadcom", 6000.0, 170.0),
    us("US.COST", "Costco", 2000.0, 900.0),
    us("US.NFLX", "Netflix", 3000.0, 900.0),
    us("US.AMD", "Advanced Micro Devices", 6000.0, 140.0),
    us("US.PEP", "PepsiCo", 1000.0, 155.0),
    us("US.ADBE", "Adobe", 1500.0, 500.0),
    us("US.CSCO", "Cisco Systems", 1200.0, 58.0),
    us("US.TMUS", "T-Mobile US", 900.0, 230.0),
    us("US.LIN", "Linde", 800.0, 460.0),
    us("US.INTC", "Intel", 2500.0, 24.0),
    us("US.INTU", "Intuit", 900.0, 650.0),
    us("US.QCOM", "Qualcomm", 1500.0, 160.0),
    us("US.TXN", "Texas Instruments", 1000.0, 200.0),
    us("US.AMGN", "Amgen", 800.0, 290.0),
    us("US.ISRG", "Intuitive Surgical", 900.0, 520.0),
    us("US.CMCSA", "Comcast", 900.0, 42.0),
    us("US.BKNG", "Booking Holdings", 800.0, 5000.0),
    us("US.HON", "Honeywell", 700.0, 220.0),
    us("US.AMAT", "Applied Materials", 1500.0, 180.0),
    us("US.VRTX", "Vertex Pharmaceuticals", 600.0, 470.0),
    us("US.ADP", "Automatic Data Processing", 500.0, 300.0),
    us("US.PANW", "Palo Alto Networks", 1200.0, 190.0),
    us("US.SBUX", "Starbucks", 900.0, 100.0),
    us("US.GILD", "Gilead Sciences", 700.0, 90.0),
    us("US.MU", "Micron Technology", 3000.0, 100.0),
    us("US.ADI", "Analog Devices", 700.0, 220.0),
    us("US.MELI", "MercadoLibre", 700.0, 2000.0),
    us("US.LRCX", "Lam Research", 1200.0, 75.0),
    us("US.REGN", "Regeneron", 500.0, 750.0),
    us("US.MDLZ", "Mondelez", 500.0, 65.0),
    us("US.KLAC", "KLA", 800.0, 650.0),
    us("US.PYPL", "PayPal", 900.0, 85.0),
    us("US.SNPS", "Synopsys", 500.0, 520.0),
    us("US.CDNS", "Cadence Design Systems", 500.0, 300.0),
    us("US.CRWD", "CrowdStrike", 1500.0, 350.0),
    us("US.MAR", "Marriott International", 400.0, 280.0),
    us("US.CTAS", "Cintas", 300.0, 210.0),
    us("US.ASML", "ASML Holding", 1200.0, 700.0),
    us("US.ORLY", "O'Reilly Automotive", 400.0, 1200.0),
    us("US.CEG", "Constellation Energy", 900.0, 250.0),
    us("US.MRVL", "Marvell Technology", 1500.0, 90.0),
    us("US.PDD", "PDD Holdings", 1500.0, 110.0),
    us("US.CSX", "CSX", 400.0, 34.0),
    us("US.ADSK", "Autodesk", 400.0, 290.0),
    us("US.ABNB", "Airbnb", 600.0, 135.0),
    us("US.FTNT", "Fortinet", 500.0, 95.0),
    us("US.ROP", "Roper Technologies", 250.0, 550.0),
    us("US.WDAY", "Workday", 500.0, 260.0),
    us("US.NXPI", "NXP Semiconductors", 500.0, 230.0),
    us("US.PCAR", "PACCAR", 300.0, 110.0),
    us("US.CHTR", "Charter Communications", 400.0, 380.0),
    us("US.MNST", "Monster Beverage", 300.0, 55.0),
    us("US.CPRT", "Copart", 300.0, 58.0),
    us("US.AEP", "American Electric Power", 300.0, 100.0),
    us("US.TTD", "The Trade Desk", 700.0, 120.0),
    us("US.PAYX", "Paychex", 300.0, 145.0),
    us("US.ROST", "Ross Stores", 300.0, 150.0),
    us("US.KDP", "Keurig Dr Pepper", 250.0, 33.0),
    us("US.FANG", "Diamondback Energy", 300.0, 175.0),
    us("US.DASH", "DoorDash", 700.0, 180.0),
    us("US.ODFL", "Old Dominion Freight Line", 250.0, 210.0),
    us("US.FAST", "Fastenal", 250.0, 80.0),
    us("US.KHC", "Kraft Heinz", 300.0, 31.0),
    us("US.EA", "Electronic Arts", 300.0, 150.0),
    us("US.VRSK", "Verisk Analytics", 200.0, 280.0),
    us("US.BKR", "Baker Hughes", 300.0, 42.0),
    us("US.CTSH", "Cognizant", 250.0, 78.0),
    us("US.EXC", "Exelon", 250.0, 39.0),
    us("US.GEHC", "GE HealthCare", 250.0, 85.0),
    us("US.XEL", "Xcel Energy", 200.0, 68.0),
    us("US.LULU", "Lululemon Athletica", 600.0, 320.0),
    us("US.DDOG", "Datadog", 600.0, 130.0),
    us("US.CCEP", "Coca-Cola Europacific", 100.0, 77.0),
    us("US.IDXX", "IDEXX Laboratories", 250.0, 430.0),
    us("US.AZN", "AstraZeneca", 400.0, 66.0),
    us("US.TEAM", "Atlassian", 400.0, 250.0),
    us("US.CSGP", "CoStar Group", 200.0, 75.0),
    us("US.ZS", "Zscaler", 400.0, 200.0),
    us("US.ANSS", "Ansys", 150.0, 340.0),
    us("US.TTWO", "Take-Two Interactive", 300.0, 185.0),
    us("US.ON", "ON Semiconductor", 500.0, 70.0),
    us("US.DXCM", "DexCom", 400.0, 75.0),
    us("US.CDW", "CDW", 150.0, 180.0),
    us("US.MCHP", "Microchip Technology", 400.0, 65.0),
    us("US.WBD", "Warner Bros. Discovery", 400.0, 10.0),
    us("US.GFS", "GlobalFoundries", 150.0, 42.0),
    us("US.BIIB", "Biogen", 250.0, 160.0),
    us("US.ARM", "Arm Holdings", 1500.0, 140.0),
    us("US.MDB", "MongoDB", 400.0, 280.0),
    us("US.PLTR", "Palantir Technologies", 6000.0, 65.0),
    us("US.APP", "AppLovin", 2500.0, 330.0),
    us("US.MSTR", "MicroStrategy", 4000.0, 350.0),
    us("US.AXON", "Axon Enterprise", 400.0, 600.0),
    us("US.SHOP", "Shopify", 1000.0, 110.0),
    us("US.TRI", "Thomson Reuters", 100.0, 165.0),
    // US ETFs.
    l("US.SPY", "SPDR S&P 500 ETF Trust", ETF, 30000.0, 590.0, 1),
    l("US.QQQ", "Invesco QQQ Trust", ETF, 18000.0, 505.0, 1),
    l("US.IWM", "iShares Russell 2000 ETF", ETF, 6000.0, 230.0, 1),
    // SSE 50.
    cn("SH.600519", "Kweichow Moutai", 5000.0, 1550.0),
    cn("SH.601318", "Ping An Insurance", 3000.0, 52.0),
    cn("SH.600036", "China Merchants Bank", 2000.0, 38.0),
    cn("SH.601166", "Industrial Bank", 1000.0, 20.0),
    cn("SH.600900", "China Yangtze Power", 1200.0, 28.0),
    cn("SH.601398", "ICBC", 1500.0, 6.5),
    cn("SH.601288", "Agricultural Bank of China", 1200.0, 4.9),
    cn("SH.601988", "Bank of China", 900.0, 5.0),
    cn("SH.601857", "PetroChina", 800.0, 8.5),
    cn("SH.600028", "Sinopec", 700.0, 6.0),
    cn("SH.600030", "CITIC Securities", 4000.0, 28.0),
    cn("SH.601012", "LONGi Green Energy", 2000.0, 18.0),
    cn("SH.600276", "Jiangsu Hengrui Pharma", 1500.0, 48.0),
    cn("SH.600887", "Inner Mongolia Yili", 900.0, 28.0),
    cn("SH.601899", "Zijin Mining", 3000.0, 18.0),
    cn("SH.600309", "Wanhua Chemical", 900.0, 75.0),
    cn("SH.601088", "China Shenhua Energy", 800.0, 40.0),
    cn("SH.600031", "Sany Heavy Industry", 900.0, 17.0),
    cn("SH.601628", "China Life Insurance", 900.0, 40.0),
    cn("SH.600104", "SAIC Motor", 500.0, 15.0),
    cn("SH.601668", "China State Construction", 900.0, 5.8),
    cn("SH.600048", "Poly Developments", 800.0, 9.5),
    cn("SH.601601", "China Pacific Insurance", 700.0, 33.0),
    cn("SH.601328", "Bank of Communications", 700.0, 7.2),
    cn("SH.600000", "Shanghai Pudong Dev Bank", 600.0, 9.8),
    cn("SH.601919", "COSCO Shipping", 1200.0, 15.0),
    cn("SH.603259", "WuXi AppTec", 2000.0, 55.0),
    cn("SH.688981", "SMIC", 5000.0, 90.0),
    cn("SH.601888", "China Tourism Group Duty Free", 900.0, 70.0),
    cn("SH.600690", "Haier Smart Home", 600.0, 27.0),
    cn("SH.600585", "Anhui Conch Cement", 500.0, 24.0),
    cn("SH.600809", "Shanxi Fenjiu", 800.0, 190.0),
    cn("SH.601225", "Shaanxi Coal", 500.0, 22.0),
    cn("SH.600438", "Tongwei", 1200.0, 21.0),
    cn("SH.601633", "Great Wall Motor", 600.0, 25.0),
    cn("SH.600745", "Wingtech", 900.0, 35.0),
    cn("SH.603501", "Will Semiconductor", 1200.0, 100.0),
    cn("SH.688111", "Kingsoft Office", 800.0, 280.0),
    cn("SH.688599", "Trina Solar", 500.0, 18.0),
    cn("SH.601390", "China Railway Group", 500.0, 6.0),
    cn("SH.601211", "Guotai Junan Securities", 1200.0, 18.0),
    cn("SH.600893", "AECC Aviation Power", 700.0, 40.0),
    cn("SH.601766", "CRRC", 900.0, 7.0),
    cn("SH.600050", "China Unicom", 1000.0, 5.5),
    cn("SH.601728", "China Telecom", 700.0, 6.8),
    cn("SH.600941", "China Mobile", 800.0, 105.0),
    cn("SH.601985", "China National Nuclear Power", 600.0, 10.0),
    cn("SH.600406", "NARI Technology", 600.0, 24.0),
    cn("SH.603288", "Foshan Haitian Flavouring", 500.0, 42.0),
    cn("SH.600436", "Zhangzhou Pientzehuang", 500.0, 210.0),
    // SZSE leaders.
    cn("SZ.000001", "Ping An Bank", 1200.0, 11.5),
    cn("SZ.000002", "China Vanke", 1500.0, 7.0),
    cn("SZ.000333", "Midea Group", 1800.0, 75.0),
    cn("SZ.000651", "Gree Electric", 1000.0, 42.0),
    cn("SZ.000858", "Wuliangye Yibin", 2500.0, 140.0),
    cn("SZ.002594", "BYD", 5000.0, 290.0),
    cn("SZ.300750", "CATL", 6000.0, 260.0),
    cn("SZ.002415", "Hikvision", 1000.0, 30.0),
    cn("SZ.000725", "BOE Technology", 2000.0, 4.3),
    cn("SZ.300059", "East Money Information", 8000.0, 24.0),
    cn("SZ.002475", "Luxshare Precision", 3000.0, 40.0),
    cn("SZ.000568", "Luzhou Laojiao", 1200.0, 130.0),
    cn("SZ.300760", "Mindray Medical", 800.0, 250.0),
    cn("SZ.002714", "Muyuan Foods", 1000.0, 38.0),
    cn("SZ.000063", "ZTE", 2500.0, 35.0),
    cn("SZ.002352", "S.F. Holding", 600.0, 40.0),
    cn("SZ.300124", "Shenzhen Inovance", 800.0, 60.0),
    cn("SZ.000100", "TCL Technology", 1000.0, 4.6),
    cn("SZ.002230", "iFlytek", 2500.0, 48.0),
    cn("SZ.300274", "Sungrow Power Supply", 2000.0, 80.0),
    // A-share ETFs.
    l("SH.510300", "Huatai-PB CSI 300 ETF", ETF, 5000.0, 3.9, 100),
    l("SH.510050", "ChinaAMC SSE 50 ETF", ETF, 2000.0, 2.7, 100),
    l("SZ.159915", "E Fund ChiNext ETF", ETF, 2000.0, 2.1, 100),
    // Indices: known, but capital flow is refused for them.
    l("HK.800000", "Hang Seng Index", IDX, 0.0, 19500.0, 1),
    l("HK.800700", "Hang Seng TECH Index", IDX, 0.0, 4300.0, 1),
    l("US..IXIC", "NASDAQ Composite Index", IDX, 0.0, 19000.0, 1),
    l("US..SPX", "S&P 500 Index", IDX, 0.0, 5900.0, 1),
    l("SH.000001", "SSE Composite Index", IDX, 0.0, 3300.0, 1),
    l("SZ.399001", "SZSE Component Index", IDX, 0.0, 10500.0, 1),
];

static BY_CODE: LazyLock<HashMap<&'static str, &'static Listing>> =
    LazyLock::new(|| LISTINGS.iter().map(|l| (l.code, l)).collect());

/// Every built-in security, in a stable order (HK, US, SH, SZ; indices last).
pub fn universe() -> &'static [Listing] {
    LISTINGS
}

/// The listing for a code, if the simulator knows it.
pub fn lookup(code: &SecurityCode) -> Option<&'static Listing> {
    BY_CODE.get(code.to_string().as_str()).copied()
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Two or three named demo watchlists of codes from the universe.
pub fn demo_watchlists() -> Vec<(String, Vec<String>)> {
    vec![
        (
            "HK leaders".into(),
            codes(&[
                "HK.00700", "HK.09988", "HK.03690", "HK.01810", "HK.00005", "HK.00388", "HK.01299",
                "HK.00941", "HK.02800",
            ]),
        ),
        (
            "US mega caps".into(),
            codes(&[
                "US.AAPL", "US.MSFT", "US.NVDA", "US.AMZN", "US.GOOGL", "US.META", "US.TSLA",
                "US.QQQ",
            ]),
        ),
        (
            "A-shares".into(),
            codes(&[
                "SH.600519",
                "SZ.300750",
                "SH.601318",
                "SZ.002594",
                "SH.600036",
                "SZ.000858",
                "SH.510300",
            ]),
        ),
    ]
}

/// The demo's user security groups (3222/3213): (name, GroupType, codes). Custom groups first.
pub fn user_groups() -> Vec<(String, i32, Vec<String>)> {
    let all = |m: Option<Market>| -> Vec<String> {
        LISTINGS
            .iter()
            .filter(|l| l.kind != SecurityKind::Index && m.is_none_or(|m| l.market() == m))
            .map(|l| l.code.to_owned())
            .collect()
    };
    let cn: Vec<String> = LISTINGS
        .iter()
        .filter(|l| l.kind != SecurityKind::Index && matches!(l.market(), Market::Sh | Market::Sz))
        .map(|l| l.code.to_owned())
        .collect();
    vec![
        (
            "Tech".into(),
            1,
            codes(&[
                "HK.00700",
                "HK.09988",
                "HK.03690",
                "HK.01810",
                "US.AAPL",
                "US.MSFT",
                "US.NVDA",
                "SZ.300750",
            ]),
        ),
        (
            "Watch HK".into(),
            1,
            codes(&[
                "HK.00700", "HK.00005", "HK.00388", "HK.01299", "HK.02800", "HK.18001",
            ]),
        ),
        ("All".into(), 2, all(None)),
        ("HK".into(), 2, all(Some(Market::Hk))),
        ("US".into(), 2, all(Some(Market::Us))),
        ("CN".into(), 2, cn),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universe_is_complete_and_unique() {
        let n = |m: Market, k: SecurityKind| {
            universe()
                .iter()
                .filter(|l| l.market() == m && l.kind == k)
                .count()
        };
        assert!(n(Market::Hk, SecurityKind::Stock) >= 80);
        assert!(n(Market::Us, SecurityKind::Stock) >= 100);
        assert!(n(Market::Sh, SecurityKind::Stock) >= 50);
        assert!(n(Market::Sz, SecurityKind::Stock) >= 20);
        assert!(n(Market::Hk, SecurityKind::Warrant) >= 3);
        assert_eq!(BY_CODE.len(), universe().len(), "duplicate codes");
        for l in universe() {
            assert_ne!(l.security_code().market, Market::Unknown, "{}", l.code);
            assert_eq!(l.security_code().to_string(), l.code);
            assert!(l.price > 0.0 && l.lot > 0, "{}", l.code);
            assert_eq!(
                l.kind == SecurityKind::Index,
                l.turnover_m == 0.0,
                "{}",
                l.code
            );
        }
        for (w, o) in WARRANT_OWNERS {
            assert_eq!(
                lookup(&w.parse().unwrap()).unwrap().kind,
                SecurityKind::Warrant
            );
            assert_eq!(
                lookup(&o.parse().unwrap()).unwrap().kind,
                SecurityKind::Stock
            );
        }
    }

    #[test]
    fn demo_lists_and_groups_use_known_codes() {
        let lists = demo_watchlists();
        assert_eq!(lists.len(), 3);
        let groups = user_groups();
        let all = lists
            .iter()
            .map(|(_, c)| c)
            .chain(groups.iter().map(|(_, _, c)| c));
        for codes in all {
            for c in codes {
                let l = lookup(&c.parse().unwrap()).unwrap();
                assert!(l.kind.has_capital_flow(), "{c}");
            }
        }
        assert_eq!(
            lookup(&"HK.00700".parse().unwrap()).unwrap().size(),
            Size::Mega
        );
    }

    #[test]
    fn ticks_and_price_limits_per_market() {
        let of = |c: &str| *lookup(&c.parse().unwrap()).unwrap();
        let hk = of("HK.00700");
        for (price, tick) in [
            (0.2, 0.001),
            (0.25, 0.005),
            (9.99, 0.01),
            (10.0, 0.02),
            (99.95, 0.05),
            (150.0, 0.1),
            (620.0, 0.5),
            (1500.0, 1.0),
            (4000.0, 2.0),
            (6000.0, 5.0),
        ] {
            assert_eq!(hk.tick(price), tick, "HK at {price}");
        }
        let us = of("US.AAPL");
        assert_eq!((us.tick(0.5), us.tick(230.0)), (0.0001, 0.01));
        assert_eq!(of("SH.600519").tick(1500.0), 0.01);
        assert_eq!(of("SH.600519").price_limit(), Some(0.1));
        assert_eq!(of("SZ.300750").price_limit(), Some(0.2));
        assert_eq!(hk.price_limit(), None);
        assert_eq!(us.price_limit(), None);
    }
}
