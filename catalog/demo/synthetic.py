"""Load the demo city's data files and generate large, realistic synthetic catalogs from word pools."""

from __future__ import annotations

import bisect
import random
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# ---------------------------------------------------------------------------------------------------------------------
# Loading the hand-written data
# ---------------------------------------------------------------------------------------------------------------------


def _read_yaml(name: str) -> Any:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)  # a safe loader, C-accelerated when libyaml is present


def load_departments() -> list[dict]:
    """Load the department tree of the demo city.

    :returns: the root nodes of ``data/departments.yaml``; each node may carry ``children``.
    """
    return _read_yaml("departments.yaml")


def load_resources() -> list[dict]:
    """Load the hand-written resource descriptions of the demo city.

    :returns: the entries of ``data/resources.yaml`` in file order.
    """
    return _read_yaml("resources.yaml")


def flatten_departments(tree: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Flatten a department tree, parents before their children.

    :param tree: root nodes as returned by :func:`load_departments`.
    :returns: copies of every node without ``children`` and with ``parent_key`` (``None`` for roots).
    """
    flat: list[dict] = []

    def walk(nodes: Iterable[Mapping[str, Any]], parent_key: str | None) -> None:
        for node in nodes:
            row = {key: value for key, value in node.items() if key != "children"}
            row["parent_key"] = parent_key
            flat.append(row)
            walk(node.get("children") or (), node["key"])

    walk(tree, None)
    return flat


# ---------------------------------------------------------------------------------------------------------------------
# Word pools
# ---------------------------------------------------------------------------------------------------------------------

Item = tuple[str, str, int | None]

# Suffixes every subject takes, plain or after a period ("2023年第二季度……统计数据").
_PERIODIC_SUFFIXES = ("统计数据", "汇总表", "台账")
_PERIODS = (
    tuple(f"{year}年" for year in range(2013, 2025))
    + tuple(f"{year}年{half}" for year in range(2019, 2025) for half in ("上半年", "下半年"))
    + tuple(f"{year}年第{q}季度" for year in range(2021, 2025) for q in "一二三四")
)


@dataclass(frozen=True, slots=True)
class _Group:
    """Subjects that read well with the same qualifiers, suffixes and information items."""

    qualifiers: tuple[str, ...]
    subjects: tuple[str, ...]
    suffixes: tuple[str, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class _Domain:
    """A business domain: which departments it fits and how their resources are worded."""

    key: str
    match: tuple[str, ...]
    theme: str
    theme_item: str | None
    base_item: str | None
    groups: tuple[_Group, ...]
    keywords: tuple[str, ...]
    systems: tuple[str, ...]  # the n-th system serves the n-th group (the last one serves the rest)
    purposes: tuple[str, ...]
    partners: tuple[str, ...]


def _g(qualifiers: str, subjects: str, suffixes: str, items: str) -> _Group:
    """Build a group from space-separated words; ``-`` is the empty qualifier, items are ``name:type[:length]``."""
    parsed = []
    for token in items.split():
        name, data_type, *length = token.split(":")
        parsed.append((name, data_type, int(length[0]) if length else None))
    own = tuple(suffixes.split())
    return _Group(tuple("" if q == "-" else q for q in qualifiers.split()), tuple(subjects.split()),
                  own + tuple(s for s in _PERIODIC_SUFFIXES if s not in own), tuple(parsed))


def _d(key: str, match: str, theme: str, theme_item: str | None, base_item: str | None, groups: tuple[_Group, ...],
       keywords: str, systems: str, purposes: str, partners: str) -> _Domain:
    return _Domain(key, tuple(match.split()), theme, theme_item, base_item, groups, tuple(keywords.split()),
                   tuple(systems.split()), tuple(purposes.split()), tuple(partners.split()))


_PERSON = "身份证号码:C:18 姓名:C:50 性别:C:2 出生日期:D"
_ORG = "统一社会信用代码:C:18 单位名称:C:200 法定代表人:C:50 地址:C:200 联系电话:C:20"

# The first domain whose ``match`` word occurs in a department's name wins (see _domain_for).
DOMAINS: tuple[_Domain, ...] = (
    _d("soe", "国有资产", "B", "208", None, (
        _g("- 市属", "国有企业 国有控股企业 国有资本投资运营公司 国有产权交易项目 国有企业对外投资项目 国有企业负责人",
           "基本信息 名录 登记信息 变动信息",
           f"{_ORG} 出资比例:N:6 注册资本（万元）:Y:16 资产总额（万元）:Y:16 登记日期:D 变动类型:C:20"),
    ), "国有资产 国有企业 产权管理 国资监管", "国资国企在线监管平台",
       "国有资产监管 产权登记核查 国企改革评估", "财政 审计 发展改革 统计"),
    _d("police", "公安", "M", "212", "101", (
        _g("- 城区 农村", "户籍人口 居民身份证申领 居住证办理 出生登记 户口迁移 死亡人口户口注销 流动人口居住登记",
           "信息 明细 记录",
           f"{_PERSON} 民族:C:20 婚姻状况:C:10 户籍地址:C:200 居住地址:C:200 办理日期:D 承办派出所:C:100 "
           "业务类型:C:20"),
        _g("- 城区 主城区", "机动车登记 机动车驾驶人 交通违法 道路交通事故 非机动车登记 交通技术监控设备",
           "信息 记录 明细",
           "号牌号码:C:15 号牌种类:C:10 车辆类型:C:20 所有人:C:200 发生时间:T 发生地点:C:200 "
           "违法行为:C:200 处理状态:C:10 罚款金额:Y:8 记分:I"),
        _g("-", "公安派出所 旅馆业 保安服务公司 典当业 民用爆炸物品从业单位 剧毒化学品购买许可 开锁服务业",
           "信息 基本信息 名录",
           f"{_ORG} 许可证号:C:30 发证日期:D 有效期至:D 辖区派出所:C:100 经度:F 纬度:F"),
    ), "户籍 治安管理 交通管理 身份核验 人口管理",
       "人口信息管理系统 公安交通管理综合应用平台 治安管理信息系统",
       "身份核验 户籍状态比对 交通安全监管 社会救助资格核查", "民政 人社 医保 卫生健康 教育"),
    _d("civil", "民政", "R", "210", None, (
        _g("- 城市 农村 新增 在册", "低保对象 特困供养人员 临时救助对象 低保边缘家庭 孤儿和事实无人抚养儿童 "
           "困难残疾人生活补贴对象 重度残疾人护理补贴对象 高龄津贴领取人员",
           "信息 名录 审批信息 资金发放信息 动态管理信息",
           f"{_PERSON} 与户主关系:C:10 救助类别:C:20 保障人数:I 保障金额:Y:10 认定日期:D "
           "所在乡镇（街道）:C:50 所在社区（村）:C:50 保障状态:C:10"),
        _g("- 公办 民办", "养老机构 居家养老服务站点 社区老年食堂 儿童福利机构 殡仪服务机构 公益性公墓",
           "基本信息 名录 信息 备案信息",
           f"{_ORG} 床位数:I 入住人数:I 服务对象:C:100 收费标准:C:200 运营方式:C:20 星级评定:C:10"),
        _g("- 市级 县级", "社会团体 民办非企业单位 基金会 慈善组织 社会工作服务机构",
           "登记信息 年检信息 变更信息 评估等级信息 名录",
           "统一社会信用代码:C:18 名称:C:200 类型:C:20 业务主管单位:C:100 登记日期:D 登记状态:C:10 "
           "住所:C:200 负责人:C:50 评估等级:C:10"),
        _g("-", "城乡社区 村（居）民委员会 标准地名 行政区划",
           "基本信息 信息 变更信息 名录",
           "名称:C:100 区划代码:C:12 所属乡镇（街道）:C:50 户数:I 人口数:I 负责人:C:50 联系电话:C:20 "
           "变更日期:D"),
        _g("-", "结婚登记 离婚登记 补领婚姻登记证 收养登记",
           "信息 记录 明细",
           "登记类型:C:10 男方身份证号码:C:18 女方身份证号码:C:18 登记日期:D 登记机关:C:100 证件字号:C:30"),
    ), "社会救助 养老服务 社会组织 社区 婚姻登记 殡葬",
       "社会救助管理信息系统 养老服务综合管理平台 社会组织管理系统 区划地名管理信息系统 婚姻登记信息系统",
       "社会救助资格核查 养老服务补贴核算 救助对象动态管理", "人社 医保 卫生健康 教育 残联"),
    _d("veterans", "退役军人", "R", "203", None, (
        _g("- 新增 在册", "退役军人 优抚对象 烈士遗属 伤残军人 退役士兵安置 军队离退休干部",
           "信息 名录 待遇发放信息",
           f"{_PERSON} 入伍日期:D 退役日期:D 优抚类别:C:20 抚恤补助标准:Y:10 安置去向:C:100 "
           "所在县区:C:20"),
    ), "退役军人 优抚 安置 抚恤", "退役军人信息管理系统",
       "优待抚恤核查 待遇衔接 就业创业扶持", "民政 人社 医保"),
    _d("hr", "人力资源", "Q", "203", None, (
        _g("- 新增 在册", "企业职工养老保险参保人员 城乡居民养老保险参保人员 失业保险金领取人员 工伤保险参保人员 "
           "就业困难人员 离校未就业高校毕业生 农村劳动力转移就业人员 社会保障卡持卡人员",
           "信息 登记信息 明细",
           f"{_PERSON} 参保单位:C:200 参保状态:C:10 缴费基数:Y:10 累计缴费月数:I 待遇标准:Y:10 "
           "登记日期:D 就业状态:C:10"),
        _g("- 市级 县级", "人力资源服务机构 职业技能培训机构 就业见习基地 劳务派遣单位 职业技能等级认定机构",
           "信息 名录 许可信息",
           f"{_ORG} 许可证号:C:30 业务范围:C:200 有效期至:D 年度报告情况:C:20"),
        _g("-", "招聘岗位 公益性岗位 劳动保障监察案件 劳动人事争议仲裁案件",
           "信息 明细",
           "单位名称:C:200 岗位（案件）名称:C:100 人数:I 薪酬范围:C:50 登记日期:D 办理状态:C:10 结案日期:D"),
    ), "社会保险 劳动就业 职业技能 人才服务", "社会保险信息系统 公共就业服务信息系统 劳动保障监察系统",
       "待遇资格认证 就业援助 社保费征缴 救助资格核查", "民政 医保 税务 财政"),
    _d("medins", "医疗保障", "Q", "202", None, (
        _g("- 职工 城乡居民", "基本医疗保险参保人员 大病保险待遇享受人员 医疗救助对象 门诊慢特病待遇人员 "
           "异地就医备案人员 生育保险待遇享受人员",
           "信息 登记信息 结算信息",
           f"{_PERSON} 险种类型:C:20 参保状态:C:10 参保日期:D 缴费年度:C:4 医疗费用总额:Y:12 "
           "基金支付金额:Y:12 就医机构:C:100"),
        _g("-", "定点医疗机构 定点零售药店 医保药品目录 医疗服务价格项目 医保医师 集中带量采购药品",
           "信息 名录 变更信息",
           f"{_ORG} 医保机构编码:C:12 机构等级:C:10 协议有效期至:D 项目编码:C:30 支付标准:Y:10"),
    ), "医疗保障 医保结算 医疗救助 参保", "医疗保障信息平台 医保智能监管系统",
       "医疗救助 参保扩面 待遇资格核查 基金监管", "民政 卫生健康 税务 人社"),
    _d("health", "卫生健康", "O", "202", None, (
        _g("- 公立 民营", "医疗机构 医院 门诊部 诊所 医学检验实验室 血液透析中心 医养结合机构",
           "基本信息 名录 执业登记信息 资源信息",
           f"{_ORG} 机构类别:C:50 医院等级:C:10 编制床位数:I 卫生技术人员数:I 诊疗科目:M 经度:F 纬度:F"),
        _g("- 新增", "执业医师 执业护士 乡村医生 家庭医生团队 出生医学证明签发 孕产妇保健",
           "信息 登记信息 明细",
           f"{_PERSON} 证书编号:C:30 执业地点:C:100 执业范围:C:100 注册日期:D 签发机构:C:100"),
        _g("-", "法定传染病报告 预防接种 居民健康档案 慢性病随访 职业病诊断",
           "信息 记录",
           "报告（档案）编号:C:30 病种:C:50 发病日期:D 诊断日期:D 现住址:C:200 报告单位:C:100 随访日期:D"),
    ), "医疗卫生 公共卫生 卫生资源 执业注册",
       "卫生资源统计信息系统 全民健康信息平台 疾病预防控制信息系统",
       "卫生资源配置 出生一件事联办 执业资格核验 疫情防控", "医保 公安 民政 市场监管"),
    _d("edu", "教育", "N", "201", None, (
        _g("- 公办 民办", "中小学校 幼儿园 中等职业学校 校外培训机构 特殊教育学校 学校食堂",
           "基本信息 名录 办学信息 信息",
           f"{_ORG} 学校标识码:C:10 办学类型:C:20 在校生数:I 专任教师数:I 班级数:I 审批日期:D"),
        _g("- 义务教育阶段 高中阶段", "在校学生 家庭经济困难学生 随迁子女 残疾儿童少年 学生资助",
           "信息 名单 明细",
           f"{_PERSON} 全国学籍号:C:19 就读学校:C:100 年级:C:10 资助项目:C:50 资助金额:Y:10 "
           "认定日期:D"),
        _g("-", "教师资格认定 中小学教师 义务教育招生片区",
           "信息",
           "姓名:C:50 证书编号:C:30 任教学科:C:20 任教学校:C:100 学校名称:C:100 片区范围:M 认定日期:D"),
    ), "教育 学校 学籍 学生资助", "教育管理信息系统 中小学生学籍信息管理系统 教师管理信息系统",
       "入学资格审核 学生资助资格核查 教育统计", "公安 民政 卫生健康 人社"),
    _d("market", "市场监督", "I", "204", "102", (
        _g("-", "企业 私营企业 农民专业合作社 个体工商户 外商投资企业 分支机构 市场主体",
           "登记信息 变更信息 注销信息 年报信息",
           "统一社会信用代码:C:18 名称:C:200 住所:C:200 市场主体类型:C:50 法定代表人:C:50 注册号:C:15 "
           "成立日期:D 注册资本（万元）:Y:16 经营范围:M 登记状态:C:20 登记机关:C:100"),
        _g("-", "食品生产企业 食品经营者 小餐饮 药品经营企业 医疗器械经营企业 化妆品生产企业 "
           "工业产品生产许可证获证企业",
           "许可信息 信息 监督检查信息 名录",
           f"{_ORG} 许可证编号:C:20 许可项目:C:200 主体业态:C:50 有效期至:D 检查日期:D 检查结果:C:10"),
        _g("-", "特种设备 电梯 压力容器 强制检定计量器具",
           "使用登记信息 检验信息 信息",
           "设备代码:C:20 使用单位:C:200 使用地点:C:200 设备类别:C:50 登记日期:D 下次检验日期:D 维保单位:C:200"),
        _g("-", "食品安全抽检 产品质量监督抽查 价格违法行为 不正当竞争行为 消费投诉举报 广告违法行为 "
           "经营异常名录",
           "信息 明细",
           "当事人名称:C:200 统一社会信用代码:C:18 事项类型:C:100 处理结果:M 罚没金额:Y:12 "
           "决定日期:D 办理状态:C:10"),
    ), "市场主体 食品安全 药品监管 质量监督 价格监督",
       "市场主体登记管理系统 智慧市场监管平台 特种设备安全监管平台 智慧市场监管平台",
       "市场主体信息比对 监管协同 信用监管 执法办案", "税务 人社 统计 商务 公安"),
    _d("tax", "税务", "H", "208", "102", (
        _g("-", "纳税人 增值税一般纳税人 出口退（免）税企业 非正常户 纳税信用A级纳税人 重大税收违法失信主体 "
           "税收优惠备案企业",
           "登记信息 名单 认定信息 信息",
           "纳税人识别号:C:20 纳税人名称:C:200 登记注册类型:C:50 主管税务机关:C:100 纳税人状态:C:10 "
           "认定日期:D 评价年度:C:4 信用级别:C:2"),
    ), "税收 纳税服务 纳税信用 涉税信息", "电子税务局",
       "涉税信息交换 社保费征缴 信用评价", "市场监管 人社 财政 自然资源"),
    _d("land", "自然资源", "C", "209", "103", (
        _g("- 城区 农村", "不动产登记 建设用地供应 国有建设用地使用权出让 建设用地规划许可 建设工程规划许可 "
           "土地征收 宅基地审批",
           "信息 公告信息 明细",
           "宗地代码:C:19 项目名称:C:200 权利人:C:200 坐落:C:200 面积（平方米）:N:12 用途:C:50 "
           "审批文号:C:50 批准日期:D 成交价格（万元）:Y:14"),
        _g("-", "耕地 永久基本农田 矿产资源 地质灾害隐患点 采煤沉陷区 测量标志 林地保护利用",
           "分布信息 调查数据 监测数据 信息",
           "图斑编号:C:30 所在县区:C:20 所在乡镇:C:50 面积（公顷）:N:12 地类:C:50 调查年度:C:4 "
           "空间范围:G 经度:F 纬度:F"),
    ), "自然资源 国土空间规划 不动产 测绘地理信息", "不动产登记信息管理平台 国土空间基础信息平台",
       "不动产查控 规划审批 耕地保护 执法监测", "法院 税务 住建 公积金"),
    _d("env", "生态环境", "F", "211", None, (
        _g("-", "环境空气质量 地表水水质 饮用水水源地水质 声环境质量 土壤环境质量 降尘 淮河干流断面水质",
           "监测数据 自动监测数据 评价结果 月报数据",
           "监测点位:C:50 监测时间:T 监测项目:C:50 监测值:N:10 单位:C:10 评价结果:C:20 经度:F 纬度:F"),
        _g("- 重点", "排污单位 污染源 建设项目环评审批 排污许可证 危险废物经营单位 环境违法行为 "
           "机动车排气检测机构",
           "信息 名录 明细",
           f"{_ORG} 许可证编号:C:30 行业类别:C:50 排放口数量:I 审批文号:C:50 审批日期:D 处罚金额:Y:12"),
    ), "生态环境 环境监测 污染防治 环评", "环境自动监控系统 污染源自动监控系统",
       "环境执法 污染溯源 应急处置 决策分析", "应急管理 水利 自然资源 住建"),
    _d("housing", "住房和城乡建设", "F", "209", None, (
        _g("- 新建 存量", "商品房 商品房预售许可 房屋交易网签 公共租赁住房 房屋租赁登记 物业服务项目",
           "信息 备案信息 登记信息",
           "合同编号:C:30 项目名称:C:200 房屋坐落:C:200 建筑面积:N:10 成交价格:Y:14 "
           "买受人（承租人）:C:200 备案日期:D 预售许可证号:C:30"),
        _g("-", "建筑工程施工许可 建筑业企业资质 工程质量监督 建设工程竣工验收备案 老旧小区改造项目 城市燃气设施",
           "信息 审批信息 明细",
           f"{_ORG} 项目名称:C:200 施工单位:C:200 资质等级:C:20 合同价格（万元）:Y:14 开工日期:D "
           "竣工日期:D"),
    ), "城乡建设 房地产 住房保障 建筑市场", "房地产交易管理系统 工程建设项目审批管理系统",
       "交易核验 住房保障资格联审 建筑市场监管", "不动产登记 税务 公积金 民政"),
    _d("transport", "交通运输", "D", "201", None, (
        _g("-", "道路旅客运输经营者 道路货物运输经营者 机动车维修企业 驾驶员培训机构 巡游出租汽车 "
           "网络预约出租汽车 危险货物运输企业",
           "许可信息 名录 基本信息 信用评价信息",
           f"{_ORG} 道路运输经营许可证号:C:30 经营范围:C:200 车辆数:I 有效期至:D 信用等级:C:10"),
        _g("- 城区 农村", "公交线路 公交站点 公路桥梁 公路 营运车辆动态 治超检测",
           "信息 基本信息",
           "线路（路段）名称:C:100 编码:C:20 里程（公里）:N:10 技术等级:C:10 定位时间:T 经度:F 纬度:F "
           "管养单位:C:100"),
    ), "交通运输 运政 公路 公交出行", "道路运政管理信息系统 道路运输车辆动态监控平台",
       "运输安全监管 事故调查 出行服务", "公安交管 应急管理 城市管理"),
    _d("agri", "农业农村", "G", "201", None, (
        _g("-", "主要农作物种植 农产品批发市场价格 农业机械 高标准农田 农业社会化服务组织 畜禽养殖场",
           "信息 分布信息",
           "乡镇:C:50 品种:C:50 面积（亩）:N:12 产量（吨）:N:12 价格（元/公斤）:Y:8 采集日期:D 年度:C:4"),
        _g("-", "农民专业合作社 家庭农场 示范家庭农场 农业产业化龙头企业 农村集体经济组织 种子经营者 农药经营者",
           "名录 信息 登记信息",
           f"{_ORG} 主营产业:C:100 经营面积（亩）:N:10 示范级别:C:10 许可证编号:C:30"),
        _g("-", "耕地地力保护补贴 农机购置补贴 农村土地承包经营权 动物疫病监测 农产品质量安全检测 生猪养殖补贴",
           "信息 明细",
           f"{_PERSON} 所在村组:C:100 面积（亩）:N:10 补贴金额:Y:10 检测结果:C:10 年度:C:4"),
    ), "农业 农村 涉农补贴 农产品", "农业综合信息服务平台 新型农业经营主体信息直报系统 农业补贴管理系统",
       "补贴资金监管 农产品质量追溯 乡村振兴监测", "财政 审计 市场监管 乡村振兴"),
    _d("water", "水利", "G", "212", None, (
        _g("- 大中型 小型", "水库 堤防 水闸 泵站 灌区 农村供水工程",
           "基本信息 信息 安全鉴定信息 运行信息",
           "工程名称:C:100 工程类型:C:20 所在县区:C:20 工程规模:C:20 管理单位:C:100 防汛责任人:C:50 "
           "经度:F 纬度:F"),
        _g("-", "河道水位 降雨量 地下水位 水库水情",
           "监测数据 实时数据 信息",
           "测站编码:C:8 测站名称:C:50 观测时间:T 水位（米）:N:7 流量（立方米每秒）:N:9 降雨量（毫米）:N:6"),
        _g("-", "取水许可 河湖长制责任 水土保持方案审批 河道采砂许可",
           "信息 明细",
           "编号:C:30 名称:C:200 申请单位:C:200 审批日期:D 有效期至:D 责任人:C:50"),
    ), "水利 防汛抗旱 水资源 河湖长制", "水利工程管理信息系统 防汛抗旱指挥系统 水资源监控平台",
       "防汛调度 应急处置 取用水监管", "应急管理 气象 自然资源 生态环境"),
    _d("forest", "林业", "G", "211", None, (
        _g("-", "古树名木 林地 森林资源 湿地 林长责任区 自然保护地",
           "信息 分布信息 调查数据",
           "编号:C:20 树种（类型）:C:50 所在县区:C:20 面积（公顷）:N:12 蓄积量（立方米）:N:12 "
           "保护级别:C:10 责任人:C:50 经度:F 纬度:F"),
        _g("-", "林木采伐许可 林业有害生物监测 森林防火 野生动物救护",
           "信息 记录",
           "编号:C:20 申请人（地点）:C:200 所在县区:C:20 日期:D 数量:N:10 处理结果:C:50"),
    ), "林业 森林资源 湿地 林长制", "林长制智慧管理平台",
       "生态保护 森林防火 执法监测", "自然资源 应急管理 生态环境"),
    _d("culture", "文化 旅游", "O", "201", None, (
        _g("- 国家级 省级 市级", "非物质文化遗产代表性项目 非遗代表性传承人 文物保护单位 革命文物 非遗传承基地",
           "名录 信息 基本信息",
           "名称:C:100 类别:C:20 级别:C:10 年代:C:50 地址:C:200 保护单位:C:100 公布日期:D 经度:F 纬度:F"),
        _g("-", "A级旅游景区 旅行社 星级饭店 乡村旅游重点村 公共图书馆 文化馆 互联网上网服务营业场所 娱乐场所 "
           "演出场所",
           "信息 名录 基本信息",
           f"{_ORG} 等级:C:10 开放时间:C:100 门票价格:C:100 最大承载量:I 许可证号:C:30"),
    ), "文化 旅游 非遗 文物 公共文化", "文物资源管理系统 智慧旅游服务平台",
       "文化遗产保护 旅游市场监管 公共文化服务", "公安 市场监管 住建 自然资源"),
    _d("emergency", "应急", "D", "205", None, (
        _g("- 重点", "危险化学品企业 重大危险源 非煤矿山 烟花爆竹经营单位 工贸企业 煤矿",
           "信息 名录 风险信息",
           f"{_ORG} 许可证编号:C:30 危险源等级:C:10 危险化学品名称:C:200 设计储量（吨）:N:12 "
           "有效期至:D 经度:F 纬度:F"),
        _g("-", "安全生产执法检查 生产安全事故 事故隐患排查治理 应急救援物资 应急避难场所 自然灾害灾情 "
           "应急预案备案",
           "信息 记录 明细",
           "单位名称:C:200 发生（检查）日期:D 类型:C:50 数量:I 死亡人数:I 直接经济损失（万元）:Y:12 "
           "处理措施:C:200 所在县区:C:20"),
    ), "应急管理 安全生产 防灾减灾 应急救援", "安全生产风险监测预警系统 应急指挥平台",
       "安全监管 应急救援 事故调查", "消防救援 公安 生态环境 交通运输"),
    _d("stats", "统计", "B", "206", None, (
        _g("- 分县区 分行业", "地区生产总值 规模以上工业增加值 固定资产投资 社会消费品零售总额 居民人均可支配收入 "
           "常住人口 城镇非私营单位就业人员平均工资 居民消费价格指数 农林牧渔业总产值",
           "指标数据 信息 月度数据 季度数据",
           "指标名称:C:100 统计期:C:7 本期值:N:14 累计值:N:14 同比增长（%）:N:6 计量单位:C:10 "
           "统计范围:C:50"),
    ), "统计 国民经济 统计指标 统计公报", "统计数据管理平台",
       "经济运行分析 决策参考", "发展改革 财政 经信"),
    _d("finance", "财政", "H", "206", None, (
        _g("- 市级 县级", "部门预算 部门决算 政府采购合同 政府债务 专项资金 惠民惠农补贴资金 一般公共预算收支",
           "信息 公开信息 明细",
           "单位名称:C:200 项目名称:C:200 科目名称:C:100 预算金额（万元）:Y:16 执行金额（万元）:Y:16 "
           "年度:C:4 发放日期:D"),
    ), "财政 预算 政府采购 资金监管", "预算管理一体化系统",
       "资金监管 预算执行分析 审计监督", "审计 纪检监察 发展改革"),
    _d("audit", "审计", "H", None, None, (
        _g("-", "审计项目 审计发现问题 审计整改 审计结果公告 经济责任审计 政府投资项目审计",
           "信息 清单 情况",
           "项目名称:C:200 被审计单位:C:200 问题类型:C:50 问题金额（万元）:Y:14 整改状态:C:10 "
           "整改期限:D"),
    ), "审计 审计整改 审计监督", "审计管理系统",
       "审计整改督办 财政资金监管", "财政 纪检监察 国资"),
    _d("dev", "发展和改革", "B", "206", "104", (
        _g("- 重点 市级", "固定资产投资项目 重大项目 政府投资项目 招商引资项目 节能审查项目 以工代赈项目",
           "信息 审批信息 备案信息 进度信息",
           "项目代码:C:24 项目名称:C:200 建设单位:C:200 建设地点:C:200 总投资（万元）:Y:14 "
           "审批（备案）日期:D 建设状态:C:10"),
        _g("-", "政府定价项目 民生商品价格 农产品成本调查 行政事业性收费项目 粮食收购价格",
           "信息 目录 监测数据",
           "名称:C:200 规格:C:50 价格（收费）标准:Y:10 计价单位:C:20 执行日期:D 监测点:C:100"),
        _g("-", "守信激励对象 失信惩戒对象 信用修复 信用承诺",
           "信息 名单",
           "主体名称:C:200 统一社会信用代码:C:18 认定事由:C:200 认定部门:C:100 认定日期:D 有效期至:D"),
    ), "发展改革 投资项目 价格管理 社会信用",
       "投资项目在线审批监管平台 价格监测信息系统 公共信用信息共享服务平台",
       "项目审批协同 价格监测分析 信用联合奖惩", "财政 统计 自然资源 市场监管"),
    _d("econ", "经济和信息化", "D", "207", None, (
        _g("- 规模以上 重点", "工业企业 专精特新企业 技术改造项目 软件和信息服务企业 新能源企业",
           "名录 信息 运行数据",
           f"{_ORG} 所属行业:C:50 统计月份:C:6 工业总产值（万元）:Y:14 用电量（万千瓦时）:N:12"),
        _g("-", "工业用电 煤炭生产 电力供应 天然气供应 成品油供应",
           "运行数据 监测数据 信息",
           "统计日期:D 企业名称:C:200 产量:N:12 库存:N:12 计量单位:C:10 同比增长（%）:N:6"),
    ), "工业经济 能源保供 中小企业 信息化", "中小企业公共服务平台 经济运行监测平台",
       "经济运行分析 煤电保供调度 企业帮扶", "发展改革 统计 税务 应急管理"),
    _d("tech", "科学技术", "N", "201", None, (
        _g("- 国家级 省级 市级", "高新技术企业 科技型中小企业 科技计划项目 研发平台 重点实验室 科技企业孵化器",
           "名单 信息 认定信息",
           f"{_ORG} 证书编号:C:20 技术领域:C:50 立项金额（万元）:Y:12 认定日期:D 有效期至:D"),
        _g("-", "技术合同登记 科技特派员 科技成果登记",
           "信息 明细",
           "编号:C:30 名称:C:200 单位:C:200 登记日期:D 成交金额（万元）:Y:12 技术领域:C:50"),
    ), "科技创新 高新技术 研发平台", "科技项目管理系统 技术合同登记系统",
       "科技政策兑现 创新统计", "税务 财政 统计"),
    _d("urban", "城市管理", "F", "209", None, (
        _g("- 城区 主次干道", "公共厕所 垃圾中转站 户外广告设施 城市照明设施 市政道路 停车泊位 环卫作业车辆 城市绿地",
           "分布信息 信息 设施信息",
           "设施名称:C:100 设施编号:C:20 所在道路:C:100 设置单位:C:200 审批日期:D 管养单位:C:100 "
           "经度:F 纬度:F"),
        _g("-", "数字城管案件 城市管理执法 违法建设 建筑垃圾处置核准 占道经营",
           "信息 记录 处置信息",
           "案件编号:C:20 问题类别:C:50 发生地点:C:200 上报时间:T 处置单位:C:100 结案时间:T 处置结果:C:20"),
    ), "城市管理 市容环卫 市政设施 城管执法", "智慧城管综合指挥平台 数字城管平台",
       "案件派遣处置 城市运行监测", "住建 公安交管 生态环境"),
    _d("justice", "司法", "M", "212", None, (
        _g("-", "律师事务所 执业律师 公证机构 司法鉴定机构 人民调解组织 基层法律服务工作者 法律援助机构",
           "信息 名录 执业信息",
           f"{_ORG} 执业证号:C:30 执业机构:C:100 执业状态:C:10 发证日期:D"),
        _g("-", "法律援助案件 人民调解案件 行政复议案件 社区矫正对象 安置帮教对象",
           "信息 明细",
           "案件编号:C:30 案由:C:100 受理日期:D 承办机构:C:100 办理结果:C:50 结案日期:D"),
    ), "公共法律服务 法律援助 人民调解 行政复议", "公共法律服务平台 智慧矫正平台",
       "法律服务资源查询 纠纷化解 依法履职", "法院 检察院 公安"),
    _d("commerce", "商务", "I", "201", None, (
        _g("- 重点 限额以上", "零售企业 批发企业 住宿餐饮企业 成品油零售企业",
           "名录 信息 监测数据",
           f"{_ORG} 销售额（万元）:Y:14 营业面积（平方米）:N:10 从业人数:I 统计月份:C:6"),
        _g("-", "对外贸易经营者 外商投资企业 单用途预付卡发卡企业 报废机动车回收企业 拍卖企业",
           "名录 备案信息 信息",
           f"{_ORG} 备案登记表编号:C:20 进出口额（万美元）:Y:14 备案日期:D"),
    ), "商贸流通 对外贸易 消费市场", "商务运行监测系统 外贸经营者备案系统",
       "市场运行监测 外贸形势分析", "统计 市场监管 税务"),
    _d("data", "数据资源", "A", "212", "105", (
        _g("- 市级 县级", "政务服务事项 政务服务办件 12345热线工单 电子证照 政务数据共享调用 公共数据开放 "
           "政务服务好差评",
           "信息 清单 明细",
           "编号:C:30 事项名称:C:200 受理部门:C:100 申请时间:T 办结时间:T 办理结果:C:10 满意度:C:10"),
    ), "政务服务 数据共享 数据开放 一网通办", "政务数据共享交换平台",
       "政务服务协同 免证办 考核评估", "各政务部门"),
    _d("weather", "气象", "K", "212", None, (
        _g("-", "地面气象观测 气象灾害预警信号 短期天气预报 农业气象 雷电监测 空气污染气象条件 区域自动站降水",
           "数据 信息 产品",
           "站号:C:5 站名:C:50 观测时间:T 气温（℃）:N:5 降水量（毫米）:N:6 风速（米每秒）:N:5 "
           "预警等级:C:10 发布时间:T"),
    ), "气象 天气预报 气象预警 防灾减灾", "综合气象信息共享平台",
       "防灾减灾 应急值守 农业生产服务", "应急管理 水利 农业农村 交通运输"),
    _d("court", "法院", "M", "208", "104", (
        _g("-", "审判流程 民事裁判文书 刑事裁判文书 执行案件 失信被执行人 限制消费人员 司法拍卖 诉讼服务",
           "信息 公开信息",
           "案号:C:50 案由:C:100 承办法院:C:100 当事人:C:200 立案日期:D 结案日期:D 结案方式:C:20"),
    ), "审判 执行 司法公开 失信惩戒", "审判流程管理系统",
       "联合惩戒 协助执行 依法查控", "公安 自然资源 市场监管 金融"),
    _d("procuratorate", "检察院", "M", "212", None, (
        _g("-", "检察案件程序 起诉书等法律文书 公益诉讼案件 控告申诉案件 检察建议 刑事申诉案件",
           "信息 公开信息",
           "部门受案号:C:50 案件名称:C:200 案件类别:C:20 受理日期:D 办理阶段:C:20 办理结果:C:50"),
    ), "检察 公益诉讼 检务公开", "检察业务应用系统",
       "法律监督 公益保护", "法院 公安 司法行政"),
    _d("congress", "人民代表大会", "A", None, None, (
        _g("-", "人大代表 代表建议 地方性法规 常委会会议议题 执法检查 预算审查监督 规范性文件备案审查",
           "信息 目录",
           "编号:C:20 标题:C:200 提出人:C:50 主办单位:C:100 交办日期:D 办理结果:C:20"),
    ), "人大 代表建议 地方立法 监督", "人大办公业务信息系统",
       "代表履职 监督工作", "政府办公室 财政"),
    _d("cppcc", "政协", "A", None, None, (
        _g("-", "政协委员 政协提案 社情民意 视察调研 协商议题 委员履职",
           "信息 目录",
           "编号:C:20 标题:C:200 提出者:C:200 承办单位:C:100 立案日期:D 办理结果:C:20"),
    ), "政协 提案 参政议政 民主监督", "政协办公业务信息系统",
       "提案办理 协商议政", "政府办公室"),
    _d("petition", "信访", "M", "212", None, (
        _g("-", "信访事项 网上信访 信访积案 领导接访下访 初信初访",
           "办理信息 信息 明细",
           "信访件编号:C:30 信访形式:C:10 登记日期:D 问题属地:C:50 内容分类:C:50 责任单位:C:100 办理状态:C:10"),
    ), "信访 诉求办理 矛盾化解", "信访信息系统",
       "矛盾纠纷化解 督查督办", "纪检监察 政法"),
    _d("finreg", "金融", "B", "208", None, (
        _g("-", "小额贷款公司 融资担保公司 典当行 地方金融组织 非法集资风险企业 区域性股权市场挂牌企业",
           "名录 信息 监管信息",
           f"{_ORG} 注册资本（万元）:Y:14 监管评级:C:10 经营状态:C:10"),
    ), "地方金融 金融监管 防范非法集资", "地方金融监管信息系统",
       "风险监测 联合执法", "市场监管 公安 人民银行"),
    _d("religion", "民族宗教", "R", "210", None, (
        _g("-", "宗教活动场所 宗教团体 少数民族聚居村 宗教教职人员",
           "信息 名录 登记信息",
           "名称:C:100 类别:C:10 地址:C:200 负责人:C:50 登记证号:C:30 登记日期:D"),
    ), "民族 宗教 场所管理", "民族宗教事务管理信息系统",
       "场所安全管理 民族团结进步创建", "公安 消防救援 统战"),
    _d("civil_defense", "人民防空", "P", None, None, (
        _g("-", "人防工程 人防工程平时使用 人防疏散基地 防空警报设施 人防专业队伍 人防工程易地建设费征收 "
           "人防指挥所 防空应急疏散演练",
           "信息 备案信息",
           "工程编号:C:20 工程名称:C:100 所在位置:C:200 面积（平方米）:N:10 平时用途:C:50 备案日期:D"),
    ), "人民防空 人防工程", "人防指挥信息系统",
       "人防工程管理 战时防护", "住建 自然资源 应急管理"),
    _d("trade", "公共资源交易", "I", "208", None, (
        _g("- 工程建设 政府采购", "招标公告 中标结果 交易项目 评标专家 交易主体信用 中标候选人公示",
           "信息 记录",
           "项目编号:C:30 项目名称:C:200 招标人:C:200 中标人:C:200 中标金额（万元）:Y:14 公示日期:D"),
    ), "公共资源交易 招标投标 政府采购", "公共资源交易平台",
       "交易监管 信用评价", "财政 住建 审计"),
    _d("housing_fund", "公积金", "H", "203", None, (
        _g("-", "住房公积金缴存 住房公积金提取 住房公积金贷款 住房公积金缴存单位 住房公积金逾期贷款",
           "信息 明细",
           f"{_PERSON} 个人账号:C:20 缴存单位:C:200 月缴存额:Y:10 账户余额:Y:12 账户状态:C:10"),
    ), "住房公积金 缴存 贷款", "住房公积金综合服务平台",
       "贷款审核 住房保障联审 依法查控", "不动产登记 住建 法院"),
    _d("archives", "档案", "S", None, None, (
        _g("-", "馆藏档案 开放档案 档案全宗 档案利用 档案数字化成果 民生档案",
           "目录 信息 清单",
           "全宗名称:C:100 档号:C:50 题名:C:500 形成时间:D 保管期限:C:10 开放状态:C:10"),
    ), "档案 档案开放 馆藏", "数字档案馆系统",
       "档案利用 查档服务", "各政务部门"),
    _d("government", "人民政府", "A", "201", None, (
        _g("-", "规范性文件 权责事项 政务服务事项 重大行政决策事项 政府信息公开申请 重点工作督查事项 行政执法公示",
           "信息 目录 清单",
           "编号:C:30 名称:C:200 类别:C:20 责任单位:C:100 发布日期:D 有效状态:C:10 办理结果:C:20"),
        _g("-", "村（居）民委员会 网格化管理事件 重点项目建设 为民办实事项目 城乡网格员",
           "信息 明细",
           "名称:C:200 所属乡镇（街道）:C:50 负责人:C:50 计划投资（万元）:Y:14 进展情况:C:200 更新日期:D"),
    ), "政务公开 行政权力 基层治理 督查督办", "政府门户网站信息公开平台 社会治理综合信息平台",
       "政务公开 督查督办 基层治理", "各政务部门"),
)
_GENERAL = DOMAINS[-1]

_CITY_PLACES = ("淮南市", "全市", "")
_COUNTY_PLACES = {
    "340402": "大通区", "340403": "田家庵区", "340404": "谢家集区", "340405": "八公山区", "340406": "潘集区",
    "340421": "凤台县", "340422": "寿县",
}
_THEME_SUFFIXES = ("主题信息", "主题库", "综合信息", "专题数据")
_BASE_SUFFIXES = ("基础信息", "基础信息库", "基础数据")
_COMMON_ITEMS: tuple[Item, ...] = (("所在县区", "C", 20), ("数据更新时间", "T", None), ("备注", "M", None))

_CYCLE_WORDS = {"1": "实时", "2": "每日", "3": "每周", "4": "每月", "5": "每季度", "6": "每半年", "7": "每年",
                "8": "不定期"}
_CYCLES = tuple(_CYCLE_WORDS)
_CYCLE_WEIGHTS = (6, 18, 5, 30, 10, 4, 17, 10)

# format class → weight and type labels (labels of the format vocabulary; class 9 gets a description instead)
_FORMATS = (
    ("3", 48, ("oracle", "MySQL", "达梦", "KingbaseES", "sql server", "GaussDB", "PostgreSQL")),
    ("2", 24, ("xlsx", "xls", "et", "csv")),
    ("1", 10, ("pdf", "docx", "OFD", "wps", "xml")),
    ("7", 10, ("RESTful API", "WebService", "OGC WMS")),
    ("4", 3, ("jpg", "png", "tif")),
    ("5", 1, ("mp4", "mpg")),
    ("6", 2, ("GeoJSON", "BUFR", "XBRL")),
    ("9", 2, ("CAD图纸（dwg）", "Shapefile矢量数据", "压缩包（内含多种格式文件）")),
)
_FORMAT_CLASSES = tuple(f[0] for f in _FORMATS)
_FORMAT_WEIGHTS = tuple(f[1] for f in _FORMATS)
_FORMAT_LABELS = {f[0]: f[2] for f in _FORMATS}
_FILE_EXT = {"4": "zip", "5": "mp4", "6": "json", "9": "zip"}

_SHARE_TYPES = ("unconditional", "conditional", "not_shared")
_SHARE_WEIGHTS = (50, 35, 15)
_CONDITIONS = (
    "仅限{partners}等部门用于{purpose}，按需申请",
    "需经{dept}审核同意，仅用于{purpose}，不得向第三方提供",
    "仅提供核验比对服务，不提供批量数据；限{partners}部门用于{purpose}",
    "个人信息脱敏后共享，仅限{partners}部门用于{purpose}",
    "仅限{partners}部门在履行法定职责时用于{purpose}",
)
_BASES = (
    "《中华人民共和国个人信息保护法》第二十八条（敏感个人信息）、第三十四条",
    "《中华人民共和国保守国家秘密法》第二条：数据汇总后属国家秘密事项",
    "《中华人民共和国统计法》第二十五条（能够识别单个统计调查对象的资料不得对外提供）",
    "《中华人民共和国反不正当竞争法》第九条（涉及经营者商业秘密）",
    "《中华人民共和国数据安全法》第二十一条：经数据分类分级认定为重要数据，按规定不予共享",
    "《中华人民共和国网络安全法》第二十一条：涉及网络安全等级保护对象的配置与拓扑",
)
_OPEN_CONDITIONS = (
    "仅提供按编号或名称的单条查询，不提供批量下载",
    "个人信息脱敏后开放，仅用于非商业性研究",
    "需注册实名账号并签订数据使用协议",
    "按申请开放，使用时须注明数据来源",
)
_ABSTRACTS = (
    "{scope}{subject}的{items}等信息，由{dept}依托{system}采集维护，{cycle}更新。",
    "记录{scope}{subject}情况，包括{items}等，数据来源于{system}。",
    "汇总{scope}{subject}的{items}等数据，用于{purpose}。",
    "{dept}在履行职责中形成的{scope}{subject}数据，主要包括{items}，{cycle}更新。",
    "反映{scope}{subject}的基本情况，包括{items}等信息项，服务{purpose}。",
)
_THEME_ABSTRACTS = (
    "整合“{first}”等{count}项部门信息资源形成的{scope}{subject}数据，服务{purpose}。",
    "以{scope}{subject}为主题，汇聚“{first}”等{count}项部门信息资源，支撑跨部门{purpose}。",
)
_STRIDE = 7919  # a prime above every radix, so stepping by it modulo a space visits each combination once


# ---------------------------------------------------------------------------------------------------------------------
# Title spaces: combinations are decoded from an index, never materialised
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Space:
    """place × (group: qualifier × subject × suffix × period), enumerable by index."""

    parts: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
    starts: tuple[int, ...]
    total: int  # combinations for one place


def _space(domain: _Domain, suffixes: tuple[str, ...] | None, periods: tuple[str, ...]) -> _Space:
    parts, starts, total = [], [], 0
    for group in domain.groups:
        own = group.suffixes if suffixes is None else suffixes
        part = (group.qualifiers, group.subjects, own, periods)
        parts.append(part)
        starts.append(total)
        total += len(part[0]) * len(part[1]) * len(part[2]) * len(part[3])
    return _Space(tuple(parts), tuple(starts), total)


def _decode(space: _Space, places: tuple[str, ...], index: int) -> tuple[str, str, int]:
    """Return the title, its qualified subject and the group number of combination ``index``."""
    place, rest = divmod(index, space.total)
    g = bisect.bisect_right(space.starts, rest) - 1
    qualifiers, subjects, suffixes, periods = space.parts[g]
    rest -= space.starts[g]
    rest, period = divmod(rest, len(periods))
    rest, suffix = divmod(rest, len(suffixes))
    qualifier, subject = divmod(rest, len(subjects))
    subject_text = qualifiers[qualifier] + subjects[subject]
    return f"{places[place]}{periods[period]}{subject_text}{suffixes[suffix]}", subject_text, g


# Department resources: plain titles first; dated ones ("2023年第二季度…台账") once the plain ones are used up.
_PLAIN = {d.key: _space(d, None, ("",)) for d in DOMAINS}
_DATED = {d.key: _space(d, _PERIODIC_SUFFIXES, _PERIODS) for d in DOMAINS}
_THEME = {d.key: _space(d, _THEME_SUFFIXES, ("",)) for d in DOMAINS}
_BASE = {d.key: _space(d, _BASE_SUFFIXES, ("",)) for d in DOMAINS}


def _domain_for(name: str) -> _Domain:
    # "人民政府" contains "民政": match on the rest of the name, so 淮南市人民政府 is not the civil affairs bureau.
    core = name.replace("人民政府", "")
    for domain in DOMAINS:
        if any(word in core for word in domain.match):
            return domain
    return _GENERAL


# ---------------------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Provider:
    key: str
    short_name: str
    division: str
    domain: _Domain
    units: tuple[str, ...]
    places: tuple[str, ...]


def _providers(departments: Iterable[Mapping[str, Any]]) -> list[tuple[_Provider, int]]:
    nodes = list(departments)
    if any(node.get("children") for node in nodes):
        nodes = flatten_departments(nodes)
    units: dict[str, list[str]] = {}
    for node in nodes:
        if node.get("kind") == "internal_unit" and node.get("parent_key"):
            units.setdefault(node["parent_key"], []).append(node["name"])
    providers = []
    for node in nodes:
        if node.get("kind") == "internal_unit":
            continue
        division = str(node.get("division") or "340400")
        county = _COUNTY_PLACES.get(division)
        places = (county,) if county else _CITY_PLACES
        provider = _Provider(node["key"], node.get("short_name") or node["name"], division,
                             _domain_for(node["name"]), tuple(units.get(node["key"], ())), places)
        weight = 1 if county or node.get("kind") in ("government", "organ") else 3
        providers.append((provider, weight))
    return providers


class _Titler:
    """Hands out titles per (class, domain, division), walking each space with a seeded stride permutation."""

    def __init__(self, seed: int):
        self.seed = seed
        self.counters: dict[tuple[str, str, str], int] = {}

    def _index(self, key: tuple[str, ...], n: int, size: int) -> int:
        offset = zlib.crc32(f"{self.seed}:{':'.join(key)}".encode()) % size
        return (offset + n * _STRIDE) % size

    def next(self, classification: str, provider: _Provider) -> tuple[str, str, int]:
        domain, places = provider.domain, provider.places
        key = (classification, domain.key, provider.division)
        n = self.counters.get(key, 0)
        self.counters[key] = n + 1
        if classification != "3":
            space = (_BASE if classification == "1" else _THEME)[domain.key]
            size = space.total * len(places)
            return _decode(space, places, self._index(key, n, size))
        plain = _PLAIN[domain.key]
        plain_size = plain.total * len(places)
        if n < plain_size:
            return _decode(plain, places, self._index(key, n, plain_size))
        dated = _DATED[domain.key]
        dated_size = dated.total * len(places)
        return _decode(dated, places, self._index(key + ("dated",), n - plain_size, dated_size))


def _pick_items(rng: random.Random, group: _Group) -> list[dict]:
    pool = group.items
    count = min(len(pool), rng.randint(4, 9))
    chosen = [pool[i] for i in sorted(rng.sample(range(len(pool)), count))]
    if rng.random() < 0.3:
        extra = _COMMON_ITEMS[rng.randrange(len(_COMMON_ITEMS))]
        if all(extra[0] != name for name, _type, _length in chosen):
            chosen.append(extra)
    items = []
    for name, data_type, length in chosen:
        row: dict[str, Any] = {"name": name, "data_type": data_type}
        if length is not None:
            row["length"] = length
        items.append(row)
    return items


def generate_resources(count: int, departments: list[dict], seed: int = 20070329) -> Iterator[dict]:
    """Generate realistic synthetic resource descriptions, streaming and deterministic.

    Entries have the shape of ``data/resources.yaml``. Each department gets wording from the business
    domain its name belongs to; titles are enumerated per (class, domain, division) through a seeded
    stride permutation, so they repeat only once a domain's combinations are used up. Base (类1, city
    level only) and theme (类2) entries cite, in ``related``, department resources of the same domain and
    division generated before them.

    :param count: number of entries to yield.
    :param departments: the department tree or its flattened form (:func:`flatten_departments`);
        internal units only lend their names to ``provider_unit``.
    :param seed: seed of the private random generator; the same arguments give the same entries.
    :returns: an iterator of resource entries.
    :raises ValueError: if ``count`` is positive and ``departments`` holds no department (raised on first use).
    """
    if count <= 0:
        return
    providers = _providers(departments)
    if not providers:
        raise ValueError("generate_resources needs at least one department that is not an internal unit")
    rng = random.Random(seed)
    choices, rand, randrange, sample = rng.choices, rng.random, rng.randrange, rng.sample
    cumulative, total = [], 0
    for _provider, weight in providers:
        total += weight
        cumulative.append(total)
    titler = _Titler(seed)
    recent: dict[tuple[str, str], deque[str]] = {}  # recent department titles per (domain, division)

    for serial in range(count):
        provider = providers[bisect.bisect_right(cumulative, randrange(total))][0]
        domain = provider.domain
        pool = recent.setdefault((domain.key, provider.division), deque(maxlen=24))
        roll = rand()
        classification, item = "3", "307"
        if len(pool) >= 3 and roll < 0.01 and domain.base_item and provider.division == "340400":
            classification, item = "1", domain.base_item
        elif len(pool) >= 3 and roll < 0.04 and domain.theme_item:
            classification, item = "2", domain.theme_item
        title, subject, g = titler.next(classification, provider)
        group = domain.groups[g]
        scope = "全市" if provider.places[0] == "淮南市" else provider.places[0]

        fmt_class = choices(_FORMAT_CLASSES, _FORMAT_WEIGHTS)[0]
        labels = _FORMAT_LABELS[fmt_class]
        label = labels[randrange(len(labels))]
        if fmt_class == "9":
            fmt = {"class": fmt_class, "description": label}
        else:
            fmt = {"class": fmt_class, "type_label": label}
        structured = fmt_class in ("2", "3") or (fmt_class == "7" and rand() < 0.6)
        items = _pick_items(rng, group) if structured else []

        cycle = choices(_CYCLES, _CYCLE_WEIGHTS)[0]
        systems = domain.systems
        system_index = min(g, len(systems) - 1) if rand() < 0.8 else randrange(len(systems))
        system = "淮南市" + systems[system_index]
        purpose = domain.purposes[randrange(len(domain.purposes))]

        share_type = choices(_SHARE_TYPES, _SHARE_WEIGHTS)[0]
        if share_type == "not_shared":
            share: dict[str, Any] = {"type": share_type, "basis": _BASES[randrange(len(_BASES))], "method": "3"}
        else:
            if fmt_class == "7":
                method = "1-2"
            elif fmt_class == "3":
                method = ("1-1", "1-2")[randrange(2)]
            else:
                method = choices(("1-3", "2", "3"), (85, 8, 7))[0]
            if share_type == "conditional":
                partners = "、".join(sample(domain.partners, min(len(domain.partners), 2)))
                condition = _CONDITIONS[randrange(len(_CONDITIONS))].format(
                    partners=partners, purpose=purpose, dept=provider.short_name)
                share = {"type": share_type, "condition": condition, "method": method}
            else:
                share = {"type": share_type, "method": method}

        if share_type == "unconditional" and rand() < 0.55:
            if rand() < 0.8:
                opening: dict[str, Any] = {"is_open": True, "type": "unconditional"}
            else:
                opening = {"is_open": True, "type": "conditional",
                           "condition": _OPEN_CONDITIONS[randrange(len(_OPEN_CONDITIONS))]}
        elif share_type == "conditional" and rand() < 0.12:
            opening = {"is_open": True, "type": "conditional",
                       "condition": _OPEN_CONDITIONS[randrange(len(_OPEN_CONDITIONS))]}
        else:
            opening = {"is_open": False}

        related: list[str] = []
        if classification == "3":
            names = [row["name"] for row in items[:4]] or [name for name, _type, _length in group.items[:3]]
            abstract = _ABSTRACTS[randrange(len(_ABSTRACTS))].format(
                scope=scope, subject=subject, items="、".join(names), dept=provider.short_name, system=system,
                cycle=_CYCLE_WORDS[cycle], purpose=purpose)
        else:
            related = sample(list(pool), min(len(pool), rng.randint(2, 4)))
            abstract = _THEME_ABSTRACTS[randrange(len(_THEME_ABSTRACTS))].format(
                scope=scope, subject=subject, first=related[0], count=len(related), purpose=purpose)

        keywords = [subject] if len(subject) <= 8 else []
        keywords += [word for word in sample(domain.keywords, min(len(domain.keywords), rng.randint(1, 3)))
                     if word != subject]

        entry: dict[str, Any] = {"department": provider.key}
        if provider.units and rand() < 0.6:
            entry["provider_unit"] = provider.units[randrange(len(provider.units))]
        entry.update(title=title, abstract=abstract, classification=classification, item=item, theme=domain.theme,
                     format=fmt, keywords=keywords, update_cycle=cycle, share=share, open=opening)
        if rand() < 0.7:
            entry["source_system"] = system
        if structured:
            entry["record_count"] = int(10 ** (1.3 + 5.2 * rand()))
        entry["data_scope"] = "1" if provider.division == "340400" else "2"
        if items:
            entry["items"] = items
        if fmt_class == "7":
            entry["distributions"] = [{"kind": "service", "title": f"{title}查询接口",
                                       "url": f"https://data.huainan.example/api/{domain.key}/{serial:06d}",
                                       "service_type": "数据服务"}]
        elif opening["is_open"] and fmt_class != "3" and rand() < 0.5:
            media = label if fmt_class in ("1", "2") else _FILE_EXT[fmt_class]
            entry["distributions"] = [{"kind": "file", "title": title,
                                       "url": f"https://data.huainan.example/files/{serial:06d}.{media.lower()}",
                                       "format": media}]
        if related:
            entry["related"] = related
        else:
            pool.append(title)
        yield entry
