"""Word pools for plausible demo values; nothing here names a real party.

A column with allowed values takes them from its declaration (feeds/<feed>.yaml); the demo only adds how
often each is drawn.
"""

from quality_pipeline.feeds import load_feed


def weighted(feed: str, column: str, weights: tuple[int, ...]) -> list[tuple[str, int]]:
    """The column's declared allowed values, in their declared order, each with its demo weight (0: never drawn)."""
    allowed = load_feed(feed).column(column).allowed
    if len(weights) != len(allowed):
        raise ValueError(f"{feed}.{column}: give one demo weight per allowed value {list(allowed)}")
    return [(value, w) for value, w in zip(allowed, weights, strict=True) if w]


# (product_category, product_name, industry_code, typical failed items)
PRODUCTS = [
    ("儿童用品", "塑料玩具", "24", ["小零件", "增塑剂", "标识和使用说明"]),
    ("儿童用品", "毛绒玩具", "24", ["小零件", "填充物", "标识和使用说明"]),
    ("儿童用品", "童装", "18", ["绳带要求", "pH值", "纤维含量"]),
    ("纺织服装", "针织内衣", "17", ["纤维含量", "甲醛含量", "pH值"]),
    ("纺织服装", "毛巾", "17", ["吸水性", "纤维含量"]),
    ("日用消费品", "纸巾", "22", ["细菌菌落总数", "标识"]),
    ("日用消费品", "一次性塑料餐具", "29", ["迁移物", "感官要求"]),
    ("食品相关产品", "食品用塑料包装", "29", ["总迁移量", "高锰酸钾消耗量"]),
    ("食品相关产品", "复合膜袋", "29", ["溶剂残留量", "剥离力"]),
    ("电子电器", "电热水壶", "38", ["对触及带电部件的防护", "输入功率和电流"]),
    ("电子电器", "电线电缆", "38", ["导体电阻", "绝缘厚度"]),
    ("电子电器", "LED灯具", "38", ["标记", "骚扰电压"]),
    ("建筑装饰材料", "陶瓷砖", "30", ["吸水率", "破坏强度"]),
    ("建筑装饰材料", "涂料", "26", ["挥发性有机化合物", "游离甲醛"]),
    ("工业生产资料", "包装印刷品", "23", ["苯类溶剂残留"]),
    ("工业生产资料", "轻工机械配件", "34", ["硬度", "尺寸偏差"]),
]

AGENCIES = ["汕头市质量计量监督检测所", "广东产品质量监督检验研究院", "汕头海关技术中心",
            "国家日用化工产品质量检验检测中心"]
BRANDS = ["华兴", "金鹏", "永达", "丰源", "创美", "宏盛", "佳乐", "粤星"]
COMPANY_WORDS = ["宏达", "金泰", "华润", "永兴", "鸿发", "盛源", "佳美",
                 "联创", "恒通", "新丰", "益成", "嘉乐", "德利", "顺昌"]
COMPANY_KINDS = [("塑料制品有限公司", False), ("玩具实业有限公司", False), ("印刷包装有限公司", False),
                 ("电器有限公司", False), ("纺织服装厂", False), ("贸易商行", True), ("日用品经营部", True),
                 ("百货店", True)]
SPEC_MODELS = ["标准型", "200g/包", "1.5L", "BV-2.5", "600×600mm", "5kg/桶", "S码"]

PLAN_LEVELS = weighted("product_sampling", "plan_level", (5, 15, 30, 50))
PLAN_PREFIX = {"国抽": "GC", "省抽": "SC", "市抽": "ST", "区抽": "QC"}
STAGES = weighted("product_sampling", "sampling_stage", (50, 40, 10))
FOLLOWUPS = weighted("product_sampling", "followup_status", (20, 30, 30, 5, 15))

CAMPAIGNS = ["双随机一公开", "打假专项行动", "特种设备安全检查", "节日市场专项检查", "计量器具专项检查",
             "电动自行车专项整治"]
CASE_SOURCES = weighted("enforcement_cases", "case_source", (40, 25, 15, 8, 7, 5))
VIOLATIONS = weighted("enforcement_cases", "violation_type", (30, 15, 15, 15, 8, 7, 10))
CASE_STATUSES = weighted("enforcement_cases", "status", (8, 12, 10, 20, 45, 5, 0))

SURNAMES = "陈林黄李张吴郑蔡许杨王刘"
GIVEN = ["伟", "敏", "少华", "晓东", "丽娟", "志强", "桂芳", "俊杰", "秀英", "建国", "海燕", "泽林"]
WATER_SUFFIXES = ["涌", "河", "排洪渠", "内河", "沟"]
MEASURES = list(load_feed("remediation_projects").column("measures").allowed)

# Streets of neighbouring districts: never in the demo region, so rows carrying them are flagged.
FOREIGN_STREETS = ["珠池街道", "新津街道", "鸥汀街道", "龙祥街道", "达濠街道", "外砂街道", "礐石街道"]

INSTRUCTIONS = [
    "填表说明",
    "1. 本表由各责任单位按期填报，报送区市场监督管理局汇总。",
    "2. 日期请按年月日填写，金额单位以表头为准。",
    "3. 无相关数据的栏目可留空或填“/”。",
    "4. 请勿修改表头及删除列。",
]
