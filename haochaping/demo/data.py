"""Static data of the demo district: departments, windows, streets, items, staff and texts.

Modelled on 平顶山市石龙区 (410404). Department names and items are realistic; street and
community division codes, organisation codes and every person are made up for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_CODE = "410404"
DISTRICT_NAME = "平顶山市石龙区"
DISTRICT_ORG_BODY = "MB105290"
HALL_CODE = "410404-ZWZX"
HALL_NAME = "石龙区政务服务中心"
HALL_ORG_BODY = "MB159028"

DEMO_PASSWORD = "Demo-2026-haochaping"  # noqa: S105  (published demo login, refused outside demo mode)


@dataclass(frozen=True)
class Dept:
    key: str  # the unit code is f"{DISTRICT_CODE}-{key}"
    name: str
    org_body: str  # 8-character organisation code body; check digits are computed
    hall_weight: int  # share of the hall's window traffic
    online_weight: int  # share of online traffic
    enterprise_share: float  # share of applicants that are enterprises
    windows: tuple[tuple[str, int], ...]  # (window label, staff count) in the hall


DEPARTMENTS: tuple[Dept, ...] = (
    Dept(
        "SCJG",
        "区市场监督管理局",
        "MB131072",
        18,
        22,
        0.55,
        (("企业开办综合", 2), ("企业开办综合", 2), ("食品药品许可", 1)),
    ),
    Dept("RSJ", "区人力资源和社会保障局", "MB138544", 14, 16, 0.05, (("社会保险经办", 2), ("就业创业服务", 1))),
    Dept("MZJ", "区民政局", "MB140217", 6, 3, 0.0, (("民政服务", 1),)),
    Dept("WJW", "区卫生健康委员会", "MB146903", 5, 8, 0.05, (("卫生健康服务", 1),)),
    Dept("ZJJ", "区住房和城乡建设局", "MB152376", 5, 4, 0.7, (("住房城乡建设审批", 1),)),
    Dept("ZRZY", "区自然资源局", "MB157740", 4, 3, 0.4, (("自然资源和规划", 1),)),
    Dept("YBJ", "区医疗保障局", "MB163125", 12, 18, 0.03, (("医疗保障经办", 2), ("医疗保障经办", 1))),
    Dept("GA", "区公安分局户政", "MB168491", 14, 4, 0.0, (("户政业务", 2), ("户政业务", 1))),
    Dept("SW", "区税务局", "MB174862", 10, 16, 0.45, (("税费综合", 2), ("税费综合", 1))),
    Dept("BDC", "区不动产登记中心", "MB180237", 12, 6, 0.1, (("不动产登记", 2),)),
)

# (street name, division code, communities as (name, division code)); each street centre has one
# 综合受理 window with two staff, each community point one staff member and a static QR code.
STREETS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "人民路街道",
        "410404001000",
        (("人民路社区", "410404001001"), ("安东社区", "410404001002"), ("文化路社区", "410404001003")),
    ),
    ("龙兴街道", "410404002000", (("龙兴社区", "410404002001"), ("兴华社区", "410404002002"))),
    (
        "高庄街道",
        "410404003000",
        (("高庄社区", "410404003001"), ("焦赞社区", "410404003002"), ("东岭社区", "410404003003")),
    ),
    ("龙河街道", "410404004000", (("龙河社区", "410404004001"), ("夏庄社区", "410404004002"))),
)


@dataclass(frozen=True)
class Item:
    dept: str
    name: str
    item_type: str  # GB/T 39046 A.1 (service_records.choices.ItemType)
    promised_days: int  # working days; 0 = 即办
    online: bool = True
    offline: bool = True
    weight: int = 3
    trouble: float = 1.0  # multiplies the chance of a bad rating
    hot_reasons: tuple[str, ...] = ()  # the reasons its bad ratings concentrate on
    street: bool = False  # also handled at street centres
    community: bool = False  # also handled at community points


ITEMS: tuple[Item, ...] = (
    Item("SCJG", "企业设立登记", "01", 1, weight=6),
    Item("SCJG", "个体工商户设立登记", "01", 1, weight=6),
    Item("SCJG", "企业变更登记", "01", 1, weight=4),
    Item("SCJG", "企业注销登记", "01", 1, weight=2, trouble=1.6, hot_reasons=("WD-CL-B02", "XC-SP-B02")),
    Item("SCJG", "食品经营许可（新办）", "01", 10, weight=4),
    Item("SCJG", "药品经营许可（零售）", "01", 15, weight=1),
    Item("RSJ", "失业保险金申领", "05", 5, weight=4),
    Item("RSJ", "城乡居民基本养老保险参保登记", "20", 0, weight=4, street=True, community=True),
    Item("RSJ", "就业创业证申领", "20", 0, weight=3, street=True),
    Item(
        "RSJ",
        "职工基本养老保险关系转移接续",
        "20",
        15,
        weight=2,
        trouble=1.8,
        hot_reasons=("WD-XL-B01", "WS-XL-B01", "XC-XL-B02"),
    ),
    Item("RSJ", "社会保障卡申领", "20", 5, weight=4),
    Item(
        "MZJ",
        "最低生活保障对象认定",
        "05",
        20,
        weight=2,
        trouble=1.5,
        hot_reasons=("WD-CL-B01", "XC-SP-B02"),
        street=True,
    ),
    Item("MZJ", "内地居民婚姻登记", "07", 0, online=False, weight=4),
    Item("MZJ", "困难残疾人生活补贴和重度残疾人护理补贴", "05", 20, weight=2, street=True, community=True),
    Item("MZJ", "高龄津贴申领", "05", 15, weight=3, street=True, community=True),
    Item("WJW", "生育登记", "20", 0, weight=4, street=True, community=True),
    Item("WJW", "医疗机构执业登记", "01", 20, weight=1),
    Item("WJW", "公共场所卫生许可", "01", 10, weight=2),
    Item("ZJJ", "建筑工程施工许可证核发", "01", 5, weight=2, trouble=1.5, hot_reasons=("WD-CL-B01", "WS-BJ-B02")),
    Item("ZJJ", "商品房预售许可", "01", 10, weight=1),
    Item("ZJJ", "公共租赁住房资格审核", "07", 20, weight=2, street=True),
    Item("ZJJ", "建设工程消防验收备案", "10", 5, weight=1),
    Item("ZRZY", "建设用地规划许可证核发", "01", 10, weight=1),
    Item("ZRZY", "乡村建设规划许可证核发", "01", 10, weight=2, street=True),
    Item("ZRZY", "建设工程规划许可证核发", "01", 10, weight=1),
    Item("YBJ", "异地就医备案", "20", 0, weight=5, street=True),
    Item("YBJ", "城乡居民基本医疗保险参保登记", "20", 0, weight=5, street=True, community=True),
    Item("YBJ", "门诊慢特病待遇认定", "07", 15, weight=3, trouble=1.6),
    Item(
        "YBJ",
        "医疗费用手工（零星）报销",
        "05",
        20,
        weight=3,
        trouble=2.0,
        hot_reasons=("WD-XL-B01", "WD-CL-B02", "XC-XL-B02"),
    ),
    Item("GA", "居民身份证申领（换领、补领）", "07", 15, online=False, weight=6),
    Item("GA", "户口迁移（迁入）", "01", 5, weight=3, trouble=1.3, hot_reasons=("XC-SP-B03", "WD-PT-B01")),
    Item("GA", "出生登记", "07", 0, weight=2),
    Item("GA", "临时居民身份证核发", "07", 1, online=False, weight=1),
    Item("SW", "发票领用", "10", 0, weight=4),
    Item("SW", "代开增值税发票", "10", 0, weight=3),
    Item("SW", "城乡居民养老保险费缴纳", "04", 0, weight=3, street=True),
    Item("SW", "存量房交易税费申报", "04", 0, weight=3, trouble=1.3),
    Item("BDC", "不动产首次登记", "07", 5, weight=2),
    Item(
        "BDC",
        "不动产转移登记",
        "07",
        5,
        weight=5,
        trouble=2.0,
        hot_reasons=("XC-XL-B01", "XC-XL-B03", "WS-ZT-B01"),
    ),
    Item("BDC", "不动产抵押登记", "07", 3, weight=3),
    Item("BDC", "不动产登记资料查询", "20", 0, weight=3),
)

STAFF_NAMES = (
    "王晓红",
    "李建国",
    "张丽娜",
    "刘伟",
    "陈静",
    "杨帆",
    "赵亚楠",
    "黄志强",
    "周敏",
    "吴海燕",
    "徐磊",
    "孙丽",
    "胡晓东",
    "朱婷婷",
    "高建军",
    "林雪",
    "郭鹏飞",
    "马俊杰",
    "何雨晴",
    "罗文博",
    "梁晨",
    "宋佳琪",
    "郑凯",
    "谢芳",
    "韩冬梅",
    "唐振华",
    "冯雅琴",
    "于洋",
    "董晓燕",
    "程浩",
    "曹玉兰",
    "袁博",
    "邓雅静",
    "许志远",
    "彭晓霞",
    "吕国强",
    "苏静怡",
    "卢永刚",
    "蒋慧敏",
    "蔡明辉",
    "贾红霞",
    "丁少华",
    "魏丹丹",
)

# Console users: (username, display name, unit key — "" is the district, role, superuser).
# The window clerk is linked to the first staff member of the market-supervision hall windows.
USERS = (
    ("zhongxin", "马文涛", "", "supervisor", True),
    ("shichang", "赵立新", "SCJG", "dept_admin", False),
    ("chuangkou", "", "SCJG", "window_clerk", False),
    ("renshe", "孙红梅", "RSJ", "dept_admin", False),
    ("huifang", "李思雨", "", "operator", False),
)

SYSTEM_PLATFORM = "河南省一体化政务服务平台（石龙区）"
SYSTEM_MARKET = "市场监管审批系统"

# --- applicants ------------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志新海峰亮成文博"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂丹萍红琳雪梅莉倩婷慧颖秀琴兰凤洁英晶欣怡佳悦雨晴璐瑶"
ENTERPRISE_BRANDS = (
    "鑫源",
    "宏达",
    "龙腾",
    "华瑞",
    "恒泰",
    "金石",
    "博远",
    "润丰",
    "盛世",
    "永兴",
    "豫龙",
    "中州",
    "凯瑞",
    "嘉禾",
    "顺达",
    "万通",
    "佳美",
    "福源",
    "兴隆",
    "天成",
    "瑞祥",
    "国鼎",
    "聚鑫",
    "锦程",
    "汇通",
    "鼎盛",
    "泰和",
    "弘远",
    "东晟",
    "尧山",
)
ENTERPRISE_TRADES = (
    "商贸",
    "餐饮管理",
    "建材",
    "煤业",
    "物流",
    "装饰工程",
    "农业科技",
    "电子科技",
    "食品",
    "机械设备",
    "建筑劳务",
    "医药",
    "汽车服务",
    "物业管理",
    "广告传媒",
    "网络科技",
)
SHOP_KINDS = (
    "烩面馆",
    "便利店",
    "五金店",
    "理发店",
    "药店",
    "超市",
    "水果店",
    "家电维修部",
    "早餐店",
    "服装店",
)

# --- rating texts (complaints keyed by reason code; praise by mode, "" = both) -------------------
COMPLAINTS: dict[str, tuple[str, ...]] = {
    "XC-ZT-B01": ("跑了一上午，最后说办不了，问原因也说不清楚。", "材料都带齐了还是没办成，窗口只说系统不让过。"),
    "XC-ZT-B02": ("大厅里人多又乱，没人引导，体验很差。",),
    "XC-XL-B01": ("取号后排了将近两个小时，中间还有人插队。", "上午九点取的号，十一点半才轮到，太耽误时间了。"),
    "XC-XL-B02": ("说好五个工作日办结，现在两周了还没消息。", "超过承诺时间了打电话问，一直说在审核。"),
    "XC-XL-B03": ("六个窗口只开了两个，叫号特别慢。", "还没到下班时间就不叫号了，下午又得重新排。"),
    "XC-SP-B01": ("问了三个问题，工作人员回答得前后不一致。", "工作人员不熟悉业务，翻了半天文件也没说清楚。"),
    "XC-SP-B02": (
        "第一次来没说要户口本，回去拿了再来又说缺证明，跑了三趟。",
        "没有一次性告知需要的材料，来回补了两次。",
    ),
    "XC-SP-B03": ("这个窗口让去那个窗口，那个窗口又让回来，互相推。",),
    "XC-TD-B01": ("问两句就不耐烦，说话很冲。", "工作人员全程板着脸，问什么都爱答不理。"),
    "XC-TD-B02": ("老人听不清多问了一遍，工作人员就很不耐烦。",),
    "XC-TD-B03": ("窗口没人，等了二十分钟人才回来。", "工作人员一直在看手机，叫了几遍才抬头。"),
    "WS-ZT-B01": ("网上提交了，最后还是让到大厅现场交纸质材料。", "说是全程网办，结果还得跑一趟签字。"),
    "WS-ZT-B02": ("网上申请提交一个星期了，状态一直是待受理。",),
    "WS-XL-B01": ("审核等了十来天，比去窗口办还慢。",),
    "WS-XL-B02": ("被退回三次，每次退回意见都不一样，也没写清楚哪里不对。",),
    "WS-ZN-B01": ("按办事指南准备的材料，提交后说指南是旧的。",),
    "WS-ZN-B02": ("办事指南写得太专业，看了半天也不知道要交哪些材料。",),
    "WS-BJ-B01": ("身份证明已经上传过了，每一步还要再传一遍。",),
    "WS-BJ-B02": ("网上都提交了，还要求到现场补原件。",),
    "WS-CZ-B01": ("手机上操作太复杂，老年人根本弄不明白。",),
    "WS-CZ-B02": ("人脸识别一直失败，提交按钮点了没反应。", "系统晚上总是登录不上，提示网络异常。"),
    "WD-CN-B01": ("承诺的办结时间早过了，也没人主动告知进度。",),
    "WD-CN-B02": ("说好办完电话通知，结果一直没人联系。",),
    "WD-TD-B01": ("打电话咨询，对方说了两句就挂了。",),
    "WD-TD-B02": ("材料明明符合要求，却非要再开一个证明。",),
    "WD-CL-B01": ("要求提供居住证明和收入证明，办事指南上根本没有。",),
    "WD-CL-B02": ("上周说要这个材料，这周又说不用了改成别的。",),
    "WD-XL-B01": ("材料交上去一个多月了，一直说在走流程。",),
    "WD-PT-B01": ("为这件事来了四趟了，还是没办下来。",),
    "WD-JZ-B01": ("咨询电话打了一上午都没人接。",),
    "WD-JZ-B02": ("家里老人行动不便，问能不能上门或代办，说没有这个服务。",),
    "WD-LJ-B01": ("工作人员暗示找熟人能快点办。",),
    "WD-LJ-B02": ("复印材料还要收费，也没给收据。",),
}
RARE_REASONS = ("WD-LJ-B01", "WD-LJ-B02")  # integrity complaints: rare
# What a citizen says on the phone or writes without ticking a reason: colloquial, sometimes with
# a denial ("不是态度问题") that the attribution must read past.
SPOKEN_COMPLAINTS = (
    "不是态度问题，是材料反复要，来回跑了三趟才弄好。",
    "排了快俩钟头的队，叫号机还老出毛病。",
    "那个小伙子说话太冲了，问一句就不耐烦。",
    "说好一周能拿证，这都半个月了还没个准信。",
    "网上说全程网办，结果还得跑到大厅交原件。",
    "窗口说系统故障办不了，让改天再来，白跑一趟。",
    "材料倒是一次就收了，就是态度恶劣，爱答不理的。",
    "问了三个窗口，互相推诿，没人管。",
)
BASIC_TEXTS = ("整体还行，就是等的时间有点长。", "办成了，希望材料能再简化一些。", "还可以，系统有点慢。")
PRAISE: tuple[tuple[str, str], ...] = (
    ("", "服务热情，给个好评！"),
    ("", "比以前方便多了。"),
    ("", "一次告知，材料一次就交齐了。"),
    ("offline", "工作人员很耐心，一次就办好了。"),
    ("offline", "非常快，十分钟就办完了。"),
    ("offline", "帮我填表，解释得很清楚，谢谢！"),
    ("offline", "窗口工作人员很热情，还主动帮老人代办。"),
    ("online", "网上就办好了，不用跑腿，点赞。"),
    ("online", "手机上提交，第二天就审核通过了。"),
)
