"""Demo data of the justice-involved minors programme (generated, marked as such): the partner
agencies, the joint opinion, a service contract, and referrals in every state of the workflow.

The referrals go through the programme's services, so their events, report versions, checks and
notifications were made by the real rules; afterwards their dates are moved into the past so the
lists read like a year of work. Every minor, guardian and story is invented (Faker zh_CN, valid
but fictitious ID numbers); the social-work organisation's name says 「（生成）」.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from faker import Faker

from shegong.accounts.models import Membership, Role, User
from shegong.juvenile import services
from shegong.juvenile.models import (
    Agency,
    AgencyKind,
    ClosingReport,
    ComplianceCheck,
    JointOpinion,
    Referral,
    ReportVersion,
    ServiceContract,
)
from shegong.juvenile.report import SECTION_KEYS
from shegong.people import idnumbers
from shegong.regions.models import Level, Region

WORKER = "demo-juvenile"
SUPERVISOR = "demo-district"
PROCURATORATE_LIAISON = "demo-procuratorate"
COURT_LIAISON = "juvenile-court-liaison"  # generated, cannot log in
SOCIAL_WORK_ORG = "{stem}社会工作服务中心（生成）"
ORG_STEMS = ["启航", "向阳", "晨光", "同心", "护苗", "春晖"]
# The partner agencies, named after the district.
AGENCIES = [
    (AgencyKind.PROCURATORATE, "{d}人民检察院"),
    (AgencyKind.GUANGONGWEI, "{d}关心下一代工作委员会"),
    (AgencyKind.YOUTH_LEAGUE, "共青团{d}委员会"),
    (AgencyKind.WOMENS_FEDERATION, "{d}妇女联合会"),
    (AgencyKind.EDUCATION, "{d}教育局"),
    (AgencyKind.CIVIL_AFFAIRS, "{d}民政局"),
    (AgencyKind.COURT, "{d}人民法院"),
]
# The six parties of the joint opinion and what each undertakes.
RESPONSIBILITIES = {
    AgencyKind.PROCURATORATE: "牵头组织联席会议；在办案中发现需要家庭教育指导的情形，依法制发"
    "督促监护令，委托社会工作服务机构开展社会调查和帮教，并跟踪落实情况。",
    AgencyKind.GUANGONGWEI: "组织“五老”志愿者参与帮教和家庭走访，协助开展法治宣传。",
    AgencyKind.YOUTH_LEAGUE: "提供青少年服务阵地，组织涉案未成年人参加公益和兴趣活动。",
    AgencyKind.WOMENS_FEDERATION: "依托家庭教育指导服务站，组织家庭教育讲座和亲子活动，"
    "为监护人提供咨询。",
    AgencyKind.EDUCATION: "督促学校落实在校未成年人的日常管理和帮扶，配合开展社会调查，"
    "保障复学就学。",
    AgencyKind.CIVIL_AFFAIRS: "统筹乡镇（街道）未成年人保护工作站和村（居）儿童主任，"
    "落实困境未成年人的兜底保障和临时监护。",
}
OFFENCES = [
    "与同学结伙在校外多次强行索要低年级学生财物，共计三百余元。",
    "深夜进入村内小卖部窃取香烟、饮料等物品，价值约八百元。",
    "在网吧与他人发生口角后持械斗殴，致一人轻微伤。",
    "受网友指使出租、出借本人银行卡，供他人转移资金。",
    "骑走停放在学校门口的电动自行车一辆，价值约一千五百元。",
    "在短视频平台散布侮辱同学的言论和图片，情节较重。",
]
SCHOOLS = ["第一中学", "第二中学", "职业技术教育中心", "实验中学", "第三中学"]


@dataclass
class Cast:
    """Who does what in the demo: the accounts and the agencies."""

    district: Region
    worker: User
    supervisor: User
    prosecutor: User
    judge: User
    procuratorate: Agency
    court: Agency
    contract: ServiceContract
    villages: list[Region] = field(default_factory=list)


def generate_juvenile(seed: int = 7) -> int:
    """Add the programme's demo data once (nothing when the agencies exist); returns how many
    referrals were added."""
    district = Region.objects.filter(level=Level.DISTRICT).order_by("code").first()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[WORKER, SUPERVISOR, PROCURATORATE_LIAISON])
    }
    if district is None or len(users) < 3:
        return 0
    if Agency.objects.filter(kind=AgencyKind.PROCURATORATE).exists():
        return 0
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    with transaction.atomic():
        cast = _partners(district, users, rng, fake)
        made = _referrals(cast, rng, fake)
    return len(made)


def _partners(district: Region, users: dict[str, User], rng: random.Random, fake: Faker) -> Cast:
    today = timezone.localdate()
    name = district.name
    agencies = {}
    for kind, pattern in AGENCIES:
        agencies[kind] = Agency.objects.create(
            name=pattern.format(d=name), kind=kind, region=district, contact="综合办公室（演示）"
        )
    organisation = Agency.objects.create(
        name=SOCIAL_WORK_ORG.format(stem=rng.choice(ORG_STEMS)),
        kind=AgencyKind.SOCIAL_WORK_ORG,
        region=district,
        contact=f"{fake.name()}（生成）",
    )
    agencies[AgencyKind.PROCURATORATE].liaisons.add(users[PROCURATORATE_LIAISON])
    judge = User(username=COURT_LIAISON, full_name=fake.name())
    judge.set_unusable_password()
    judge.save()
    Membership.objects.create(user=judge, role=Role.AGENCY_LIAISON, region=district)
    agencies[AgencyKind.COURT].liaisons.add(judge)

    signed = today - dt.timedelta(days=420)
    opinion = JointOpinion.objects.create(
        title=f"关于建立{name}涉案未成年人家庭教育指导工作站的联合意见（演示）",
        signed_on=signed,
        scope="对涉案未成年人及其家庭开展社会调查、家庭教育指导、督促监护和跟踪帮教，"
        "建立线索移送、联合帮教、信息共享和定期会商机制。",
        responsibilities=[
            {"agency": agencies[kind].pk, "text": text} for kind, text in RESPONSIBILITIES.items()
        ],
    )
    opinion.parties.set([agencies[kind] for kind in RESPONSIBILITIES])
    contract = ServiceContract.objects.create(
        number=f"演示-{signed.year}-未检购-001",
        title="涉案未成年人社会调查及帮教服务项目（演示）",
        purchaser=agencies[AgencyKind.PROCURATORATE],
        provider=organisation,
        starts_on=signed + dt.timedelta(days=30),
        ends_on=signed + dt.timedelta(days=30 + 730),
        scope="社会调查、心理疏导、家庭教育指导、督促监护令跟踪、帮教及公益兴趣活动。",
        amount=360000,
        deliverables={
            "referrals": 40,
            "investigations": 30,
            "guidance_sessions": 120,
            "mentoring": 200,
            "closed": 30,
        },
    )
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__startswith=district.prefix).order_by(
            "code"
        )
    )
    return Cast(
        district=district,
        worker=users[WORKER],
        supervisor=users[SUPERVISOR],
        prosecutor=users[PROCURATORATE_LIAISON],
        judge=judge,
        procuratorate=agencies[AgencyKind.PROCURATORATE],
        court=agencies[AgencyKind.COURT],
        contract=contract,
        villages=villages,
    )


# ---- the referrals --------------------------------------------------------------------------


@dataclass
class Minor:
    name: str
    sex: str
    age: int
    guardian: str
    relation: str
    school: str
    village: Region
    offence: str


def _minor(cast: Cast, rng: random.Random, fake: Faker) -> Minor:
    surname = fake.last_name()
    sex = rng.choice(["M", "M", "F"])
    given = fake.first_name_male() if sex == "M" else fake.first_name_female()
    relation = rng.choice(["父亲", "母亲", "祖母"])
    guardian = surname + fake.first_name_male() if relation == "父亲" else fake.name_female()
    return Minor(
        name=surname + given,
        sex=sex,
        age=rng.randint(14, 17),
        guardian=guardian,
        relation=relation,
        school=cast.district.name + rng.choice(SCHOOLS),
        village=rng.choice(cast.villages),
        offence=rng.choice(OFFENCES),
    )


def _submit(
    cast: Cast,
    minor: Minor,
    rng: random.Random,
    *,
    court: bool,
    number: int,
    procedural_status: str,
    services_asked: list[str],
) -> Referral:
    today = timezone.localdate()
    birth = today.replace(year=today.year - minor.age) - dt.timedelta(days=rng.randint(20, 300))
    agency, liaison = (cast.court, cast.judge) if court else (cast.procuratorate, cast.prosecutor)
    case_number = (
        f"（{today.year}）冀0111刑初{number}号（演示）"
        if court
        else f"栾检未检〔{today.year}〕{number}号（演示）"
    )
    return services.referral_submit(
        by=liaison,
        agency=agency,
        data={
            "case_number": case_number,
            "minor_name": minor.name,
            "id_number": idnumbers.make(
                cast.district.code[:6],
                birth,
                rng.randrange(0, 500) * 2 + (1 if minor.sex == "M" else 0),
            ),
            "region_code": minor.village.code,
            "guardian_name": minor.guardian,
            "guardian_relation": minor.relation,
            "guardian_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "school_or_work": minor.school,
            "case_summary": minor.offence,
            "procedural_status": procedural_status,
            "services": services_asked,
            "due_on": today + dt.timedelta(days=rng.randint(10, 40)),
        },
    )


def _fresh(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)


def _accept(cast: Cast, referral: Referral) -> Referral:
    return services.referral_accept(
        by=cast.worker,
        referral_id=referral.pk,
        version=referral.version,
        worker=cast.worker,
        contract=cast.contract if referral.agency_id == cast.procuratorate.pk else None,
    )


def _interviews(cast: Cast, referral: Referral, minor: Minor, days_ago: int) -> None:
    now = timezone.now()
    talks = [
        (minor.name, "本人", "社工站个案室", "in_person", "了解案发经过、个人想法和今后打算。"),
        (
            minor.guardian,
            minor.relation,
            "家中",
            "home_visit",
            "了解家庭结构、教养方式和监护情况。",
        ),
        ("班主任（演示）", "老师", "学校", "phone", "了解在校表现、学习和同伴交往情况。"),
    ]
    for step, (who, relation, place, method, summary) in enumerate(talks):
        services.interview_add(
            by=cast.worker,
            referral_id=referral.pk,
            data={
                "interviewee": who,
                "relation": relation,
                "held_at": now - dt.timedelta(days=days_ago - 3 * step, hours=3),
                "place": place,
                "method": method,
                "summary": summary,
            },
        )


def _sections(minor: Minor, referral: Referral) -> dict[str, str]:
    sex = "男" if minor.sex == "M" else "女"
    n = minor.name
    texts = {
        "basic": f"【演示数据，人物与情节均为虚构】{n}，{sex}，{minor.age}岁，居住于"
        f"{minor.village.name}，现就读于{minor.school}。因{minor.offence.rstrip('。')}，"
        f"{referral.agency.name}委托本中心开展社会调查。",
        "personality": f"{n}性格偏内向，与陌生人交流时较拘谨，熟悉后能够主动表达想法。"
        "自我评价偏低，遇到挫折时容易情绪化，但本性善良，愿意帮助同学和邻居。",
        "family": "家中共四口人，父亲长期在外务工，母亲在本地打零工，平时主要由"
        f"{minor.relation}照看。家庭经济状况一般，居住条件尚可；家庭成员关系总体和睦，"
        "但亲子沟通较少，教育方式以说教为主。",
        "social": f"{n}在校有三四个较要好的同学，课余常与校外年龄较大的青年一起上网、"
        "打游戏。案发前结识的几名社会青年对其影响较大。",
        "growth": f"{n}幼年由祖父母抚养，八岁时随父母回本村生活。小学成绩中等，"
        "初二起成绩下滑，曾因迟到、旷课受到学校批评。无重大疾病和重大创伤事件。",
        "education": f"{n}目前在{minor.school}就读，班主任反映其上课注意力不集中，"
        "作业完成情况一般，但参加集体劳动较积极。学校表示愿意配合开展后续帮教。",
        "guardianship": f"{minor.relation}{minor.guardian}是主要监护人，有意愿履行监护职责，"
        "但对网络使用、交友等方面缺乏有效管理方法。家庭具备基本监护条件，监护能力有待提升。",
        "conduct": f"案发后，{n}能够如实供述，认识到行为给他人造成的损失，已在家长陪同下"
        "向被害人赔礼道歉并赔偿损失，取得谅解。近期在校表现有所好转，无新的违纪行为。",
        "mentoring": "所在村委会、学校均表示愿意参与帮教；村儿童之家可提供课后学习场所；"
        "监护人同意接受家庭教育指导。建议社工每两周开展一次个别辅导，联合学校落实日常管理。",
        "assessment": f"综合以上情况，{n}系初次涉案，主观恶性较小，认罪悔罪态度较好，"
        "家庭和学校具备帮教条件，再犯风险较低。建议依法从宽处理，并同步开展家庭教育指导"
        "和为期六个月的跟踪帮教。",
    }
    return texts


def _report(cast: Cast, referral: Referral, minor: Minor, *, until: str) -> None:
    """Write the report and take it as far as ``until``: draft, submitted or approved (an
    approved one went through a returned first version)."""
    sections = _sections(minor, referral)
    if until == "draft":
        draft = {key: sections[key] for key in SECTION_KEYS[:6]}
        services.report_save(by=cast.worker, referral_id=referral.pk, sections=draft)
        return
    version = services.report_save(by=cast.worker, referral_id=referral.pk, sections=sections)
    services.report_submit(by=cast.worker, version_id=version.pk)
    if until == "submitted":
        return
    services.report_decide(
        by=cast.supervisor,
        version_id=version.pk,
        approve=False,
        comment="“监护条件与监护能力”部分请补充监护人的工作时间和实际照看安排。",
    )
    sections["guardianship"] += "监护人每天18点后在家，周末可全天陪伴；已商定由祖母负责放学接送。"
    version = services.report_save(by=cast.worker, referral_id=referral.pk, sections=sections)
    services.report_submit(by=cast.worker, version_id=version.pk)
    services.report_decide(by=cast.supervisor, version_id=version.pk, approve=True)


def _guidance(cast: Cast, referral: Referral, minor: Minor, started_days_ago: int) -> None:
    today = timezone.localdate()
    services.guidance_plan_save(
        by=cast.worker,
        referral_id=referral.pk,
        goals="提升监护人的监护意识和亲子沟通能力，建立家庭规则，减少不良交往。",
        content="个别指导与小组课程结合：亲子沟通、情绪管理、网络使用约定、家校配合。",
        sessions_planned=6,
    )
    services.guardian_assessment_record(
        by=cast.worker,
        referral_id=referral.pk,
        stage="before",
        scores={"awareness": 2, "communication": 2, "methods": 1, "emotions": 2, "rules": 2},
        assessed_on=today - dt.timedelta(days=started_days_ago + 2),
    )
    topics = [
        ("individual", "了解家庭教养方式，共同制定家庭规则。", "每天与孩子聊天十分钟。"),
        ("group", "家长课堂：青春期孩子的心理特点与沟通技巧。", "记录一次成功的沟通。"),
        ("individual", "讨论网络使用约定和课余时间安排。", "落实周末手机使用约定。"),
    ]
    for step, (kind, content, homework) in enumerate(topics):
        services.session_add(
            by=cast.worker,
            referral_id=referral.pk,
            data={
                "held_on": today - dt.timedelta(days=started_days_ago - 14 * step),
                "kind": kind,
                "guardians_attending": f"{minor.relation}{minor.guardian}",
                "attended": True,
                "content": content,
                "assignments": homework,
            },
        )
    services.guardian_assessment_record(
        by=cast.worker,
        referral_id=referral.pk,
        stage="after",
        scores={"awareness": 4, "communication": 3, "methods": 3, "emotions": 4, "rules": 4},
        assessed_on=today - dt.timedelta(days=max(started_days_ago - 40, 1)),
    )


def _order(cast: Cast, referral: Referral) -> None:
    """A supervision order 75 days old, checked every 30: one check done, the next overdue."""
    today = timezone.localdate()
    order = services.order_add(
        by=cast.worker,
        referral_id=referral.pk,
        data={
            "kind": "supervision",
            "number": f"栾检督监〔{today.year}〕3号（演示）",
            "issued_by": cast.procuratorate.name,
            "issued_on": today - dt.timedelta(days=75),
            "obligations": "每天了解孩子的去向和交往对象；晚十点前确保孩子回家；"
            "每月与班主任联系一次；按时参加家庭教育指导。",
            "check_every_days": 30,
            "ends_on": today + dt.timedelta(days=180),
        },
    )
    first = ComplianceCheck.objects.get(order=order)
    services.compliance_record(
        by=cast.worker,
        check_id=first.pk,
        result="partly",
        note="晚归情况有改善，与班主任联系不够及时，已再次提醒。",
        checked_on=first.due_on + dt.timedelta(days=1),
    )


def _mentoring(cast: Cast, referral: Referral, started_days_ago: int) -> None:
    today = timezone.localdate()
    records = [
        ("mentoring", "个别帮教：回顾案发经过，讨论守法意识和交友选择。", 1),
        ("public_interest", "参加社区敬老院志愿服务，打扫卫生、陪老人聊天。", 3),
        ("interest", "参加团区委青少年书法兴趣班。", 2),
        ("mentoring", "个别帮教：制定复学后的学习计划。", 1),
    ]
    for step, (kind, content, hours) in enumerate(records):
        services.mentoring_add(
            by=cast.worker,
            referral_id=referral.pk,
            data={
                "held_on": today - dt.timedelta(days=started_days_ago - 12 * step),
                "kind": kind,
                "content": content,
                "hours": hours,
            },
        )


def _backdate(referral: Referral, days_ago: int) -> None:
    """Move the referral's story into the past: referred ``days_ago`` days ago, its events and
    report decisions spread over the time since."""
    now = timezone.now()
    start = now - dt.timedelta(days=days_ago)
    Referral.objects.filter(pk=referral.pk).update(referred_at=start)
    events = list(referral.events.order_by("id"))
    for index, event in enumerate(events):
        at = start + (now - start) * index / max(len(events), 1)
        type(event).objects.filter(pk=event.pk).update(at=at)
    for version in ReportVersion.objects.filter(referral=referral):
        # Decisions at 40 %, 50 % … of the way; a version still open was written lately.
        written = start + (now - start) * (0.3 + 0.1 * version.number)
        decided = written + dt.timedelta(days=3) if version.decided_at else None
        if decided is None:
            written = now - dt.timedelta(days=2)
        ReportVersion.objects.filter(pk=version.pk).update(created_at=written, decided_at=decided)
    ClosingReport.objects.filter(referral=referral).update(written_at=now - dt.timedelta(days=3))


def _referrals(cast: Cast, rng: random.Random, fake: Faker) -> list[Referral]:
    made: list[Referral] = []
    numbers = iter(range(11, 99))

    def submit(court: bool, status: str, asked: list[str]) -> tuple[Referral, Minor]:
        minor = _minor(cast, rng, fake)
        referral = _submit(
            cast,
            minor,
            rng,
            court=court,
            number=next(numbers),
            procedural_status=status,
            services_asked=asked,
        )
        made.append(referral)
        return referral, minor

    everything = ["investigation", "mentoring", "guidance", "order_follow_up"]

    # Just arrived, from each agency.
    referral, _minor_ = submit(False, "prosecution_review", ["investigation", "guidance"])
    _backdate(referral, 2)
    referral, _minor_ = submit(True, "on_trial", ["investigation"])
    _backdate(referral, 1)

    # Accepted, work not started.
    referral, _minor_ = submit(False, "arrest_review", ["investigation", "mentoring"])
    _accept(cast, referral)
    _backdate(referral, 6)

    # Investigating: interviews and a draft report.
    referral, minor = submit(False, "prosecution_review", ["investigation", "guidance"])
    _accept(cast, referral)
    _interviews(cast, referral, minor, days_ago=15)
    _report(cast, referral, minor, until="draft")
    _backdate(referral, 20)

    # Report waiting for the supervisor's approval (demo-district approves it).
    referral, minor = submit(True, "on_trial", ["investigation"])
    _accept(cast, referral)
    _interviews(cast, referral, minor, days_ago=25)
    _report(cast, referral, minor, until="submitted")
    _backdate(referral, 30)

    # The full story so far: approved report, guidance, an order with an overdue check.
    referral, minor = submit(False, "conditional", everything)
    _accept(cast, referral)
    _interviews(cast, referral, minor, days_ago=100)
    _report(cast, referral, minor, until="approved")
    _guidance(cast, referral, minor, started_days_ago=70)
    _order(cast, referral)
    _mentoring(cast, referral, started_days_ago=60)
    _backdate(referral, 110)

    # Done: guidance and mentoring, then the closing report.
    referral, minor = submit(True, "sentenced", ["mentoring", "guidance"])
    _accept(cast, referral)
    _guidance(cast, referral, minor, started_days_ago=150)
    _mentoring(cast, referral, started_days_ago=140)
    services.closing_write(
        by=cast.worker,
        referral_id=referral.pk,
        version=_fresh(referral).version,
        summary="开展家庭教育指导3次、个别帮教2次、公益及兴趣活动2次；监护人前后测总分由9分"
        "提高到18分。",
        outcome="未成年人已返校就读，遵守帮教约定，无再犯；家庭建立了手机使用和晚归规则。",
    )
    Referral.objects.filter(pk=referral.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=60)
    )
    _backdate(referral, 170)

    # Rejected, with the reason.
    referral, _minor_ = submit(False, "not_prosecuted", ["mentoring"])
    services.referral_reject(
        by=cast.worker,
        referral_id=referral.pk,
        version=referral.version,
        reason="该未成年人已随父母迁居外省，由迁入地社工机构跟进，本站不再重复介入。",
    )
    _backdate(referral, 45)

    # Withdrawn by the court.
    referral, _minor_ = submit(True, "on_trial", ["investigation"])
    services.referral_withdraw(
        by=cast.judge,
        referral_id=referral.pk,
        version=referral.version,
        reason="案件已移送异地法院审理。",
    )
    _backdate(referral, 40)
    return made
