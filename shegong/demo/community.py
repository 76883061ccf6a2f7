"""Demo community linkage (五社联动), about a tenth of the district's published figures (35
enterprises and 272 charities linked, 31 community organisations mobilised, 2,869 volunteers of
whom 1,144 registered, 306 activities, 56,681 person-times): the resource library with incubated
community organisations and professionals, volunteers in the demo villages with tasks and hours,
activities at the stations (group work in sessions), resource links and training courses.

Everything goes through the community services, acting as the demo district admin or the
station's own staff, so the rules hold: person-times are fixed when an activity closes, a link
takes its recipient's region, only approved hours count. Organisations are marked 「（演示/生成）」;
people served and taking part are the demo registry's; professionals and volunteers outside the
registry have generated names.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from shegong.accounts.models import Programme, Role, User
from shegong.casework.models import Case
from shegong.community import activities, libraries_links, libraries_services, training
from shegong.community import volunteers as volunteer_services
from shegong.community import volunteers_tasks as tasks
from shegong.community.models import (
    Activity,
    ActivityKind,
    Audience,
    IncubationStage,
    LinkKind,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Profession,
    Professional,
    TargetGroup,
    TaskKind,
    TaskStatus,
    Volunteer,
)
from shegong.demo.generate import DISTRICT_AREA, _first_user_by_region
from shegong.elderly.models import ORDER_CLOSED, ServiceOrder
from shegong.people.models import Person
from shegong.regions.models import Level, Region, Station, under_prefix

MARK = "（演示/生成）"
# The community demo lives in the demo district (a city-scale set has generated districts too).
HOME = under_prefix("code", DISTRICT_AREA)
K = OrganisationKind
ENTERPRISES = ["惠民超市", "冀中面粉厂", "恒信建材", "康达物流", "瑞丰农业科技", "金穗食品"]
ENTERPRISES += ["众诚汽车服务", "福源大药房"]
CHARITY_STEMS = list("仁爱善德和春晖馨怡博远明德")
CHARITY_KINDS = ["慈善协会", "爱心基金会", "助学会", "公益服务社", "志愿者协会", "扶老助残协会"]
CHARITIES = 30
OTHERS = [
    (K.SOCIAL_WORK, "栾城区明德社会工作服务中心", "个案管理、小组工作、社区营造"),
    (K.SOCIAL_WORK, "石家庄和美社会工作事务所", "困境儿童关爱、家庭教育指导"),
    (K.SOCIAL_WORK, "冀馨社会工作服务社", "老年人照护支持、探访关爱"),
    (K.MEDICAL, "栾城区人民医院", "义诊、健康体检、慢病管理"),
    (K.MEDICAL, "栾城区中医院", "中医义诊、康复理疗"),
    (K.PSYCHOLOGICAL, "心晴心理咨询工作室", "心理疏导、危机干预"),
    (K.REHABILITATION, "栾城区残疾人康复中心", "康复训练、辅具适配"),
    (K.SCHOOL, "栾城区第二中学", "课业辅导、法治教育"),
    (K.SCHOOL, "栾城区实验小学", "课业辅导、安全教育"),
    (K.PARTNER, "栾城区妇女联合会", "家庭教育、妇女儿童维权"),
    (K.PARTNER, "共青团栾城区委员会", "青少年服务、志愿服务"),
]
COMMUNITY = ["夕阳红志愿服务队", "巧手妈妈互助会", "银龄守护队", "护苗志愿队", "邻里互助社"]
COMMUNITY += ["书香读书会", "老年协会", "文艺宣传队"]
# Two graduated, the rest at every working stage.
STAGES = ["graduated", "graduated", "growing", "growing", "startup", "startup", "seed", "seed"]
MILESTONES = ["组建骨干团队", "制定组织章程", "完成骨干能力培训", "开展首次服务活动"]
MILESTONES += ["获得公益创投资金支持", "在镇街备案登记", "独立承接服务项目"]
PROFESSIONALS = [
    # profession, how many, qualification, skills, organisation kind they work for
    (Profession.SOCIAL_WORKER, 12, "社会工作师（中级）", "个案管理、小组工作", K.SOCIAL_WORK),
    (Profession.COUNSELLOR, 4, "二级心理咨询师", "心理疏导、危机干预", K.PSYCHOLOGICAL),
    (Profession.DOCTOR, 5, "执业医师", "全科诊疗、慢病管理", K.MEDICAL),
    (Profession.NURSE, 4, "护士执业证书", "健康检查、康复护理", K.MEDICAL),
    (Profession.LAWYER, 3, "律师执业证", "法律咨询、法律援助", None),
    (Profession.TEACHER, 4, "教师资格证", "课业辅导、家庭教育", K.SCHOOL),
    (Profession.REHABILITATION, 2, "康复治疗师", "康复训练、辅具指导", K.REHABILITATION),
    (Profession.OTHER, 2, "公共营养师", "膳食指导", None),
]
VOLUNTEERS = 280
SKILLS = ["陪伴聊天", "课业辅导", "理发", "家电维修", "文艺表演", "驾驶", "医疗护理", "手工"]
AVAILABILITY = ["周末", "工作日晚上", "随时", "每周二、四上午", "农闲时"]
TASKS = {
    TaskKind.VISIT: ["陪同探访独居老人", "节前走访困境儿童家庭"],
    TaskKind.TUTORING: ["周末课业辅导", "留守儿童暑期作业辅导"],
    TaskKind.ESCORT: ["陪同老人到区医院复诊", "陪同残疾人办理证件"],
    TaskKind.CHORES: ["为高龄老人打扫卫生", "帮助留守老人秋收"],
    TaskKind.OTHER: ["防范电信诈骗宣传单发放", "村容村貌志愿清扫"],
}
PAST_TASKS, FUTURE_TASKS = 15, 5
A, T = ActivityKind, TargetGroup
ACTIVITIES = [
    # kind, target group, titles, head count range
    (A.FESTIVAL, T.RESIDENTS, ["敬老文艺汇演", "邻里文化节", "亲子趣味运动会"], (300, 600)),
    (A.FESTIVAL, T.CHILDREN, ["儿童趣味游园会"], (150, 350)),
    (A.LECTURE, T.ELDERLY, ["老年人防范电信诈骗讲座", "慢病防治健康讲座"], (50, 120)),
    (A.LECTURE, T.FAMILIES, ["家庭教育讲座", "反家庭暴力法律知识讲座"], (50, 120)),
    (A.HEALTH_SCREENING, T.ELDERLY, ["义诊进村", "老年人免费体检", "眼科义诊"], (150, 320)),
    (A.SKILLS_TRAINING, T.RESIDENTS, ["家政服务技能培训", "农村电商直播培训"], (30, 80)),
    (A.SKILLS_TRAINING, T.DISABLED, ["残疾人手工编织培训"], (15, 40)),
    (A.PUBLIC_INTEREST, T.ELDERLY, ["爱心义剪进村", "爱心物资发放"], (80, 200)),
    (A.PUBLIC_INTEREST, T.CHILDREN, ["助学金发放仪式", "爱心书屋捐书"], (60, 180)),
    (A.COMMUNITY_WORK, T.RESIDENTS, ["村庄环境整治议事会", "邻里互助网络建设"], (60, 150)),
    (A.OTHER, T.VOLUNTEERS, ["志愿者表彰交流会"], (40, 80)),
]
GROUPS = [
    ("留守儿童成长小组", T.CHILDREN, ["相识破冰", "认识情绪", "学会沟通", "自信心培养"]),
    ("独居老人互助小组", T.ELDERLY, ["相识与分享", "健康生活方式", "记忆力训练", "邻里互助约定"]),
]
GROUP_EXTRA = ["感恩与分享", "回顾与告别"]
ACTIVITY_COUNT = 35
SUMMARIES = [
    "演示（生成）：活动按计划开展，居民参与积极，现场收集意见建议若干条，已反馈村委会。",
    "演示（生成）：社工与志愿者分工协作，秩序良好；发现的困难家庭已登记并安排回访。",
    "演示（生成）：链接爱心单位提供物资和专业服务，参与者满意度较高，拟定期开展。",
]
# What a resource gives: (description, unit, value of one unit in yuan).
GIFTS = {
    LinkKind.GOODS: [("米面油礼包", "份", 120), ("冬季棉衣", "件", 150), ("学习用品", "套", 60)]
    + [("轮椅", "台", 600), ("营养品", "份", 100)],
    LinkKind.MONEY: [("助学金", "元", 1), ("临时救助金", "元", 1)],
    LinkKind.SERVICE: [("上门义诊", "次", 0), ("心理疏导", "次", 0), ("法律咨询", "次", 0)]
    + [("康复训练指导", "次", 0), ("家庭教育指导", "次", 0)],
}
LINKS = 120
IN_NEED = ["dibao", "tekun", "disabled", "left_behind_child", "child_in_difficulty"]
IN_NEED += ["living_alone", "disabled_elderly"]


@dataclass
class _Cast:
    """Who acts, and the shared state of one run."""

    rng: random.Random
    fake: Faker
    today: dt.date
    admin: User
    centre: User
    directors: dict[str, User]
    supervisors: dict[str, User]
    village: Region  # the demo village (demo-village, demo-volunteer)
    volunteers: list[Volunteer] = field(default_factory=list)

    def staff_of(self, code: str) -> User:
        """The station's own staff for a region code, else the level above, else the admin."""
        if code.endswith("000000"):
            return self.centre
        township = code[:9] + "000"
        return self.directors.get(code) or self.supervisors.get(township) or self.admin

    def ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def volunteers_in(self, prefix: str) -> list[Volunteer]:
        return [v for v in self.volunteers if v.region_id.startswith(prefix)]


def generate_community(*, seed: int = 7) -> int:
    """Add the demo community linkage once (nothing when demo organisations exist); returns how
    many activities were organised."""
    admin = User.objects.filter(username="demo-district").first()
    centre = User.objects.filter(username="demo-center").first()
    volunteer_user = User.objects.filter(username="demo-volunteer").first()
    village = Region.objects.filter(level=Level.VILLAGE).order_by("code").first()
    if None in (admin, centre, volunteer_user, village):
        return 0
    if Organisation.objects.filter(is_demo=True).exists():
        return 0
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    cast = _Cast(
        rng=random.Random(seed),
        fake=fake,
        today=timezone.localdate(),
        admin=admin,
        centre=centre,
        directors=_first_user_by_region(Role.VILLAGE_DIRECTOR),
        supervisors=_first_user_by_region(Role.TOWNSHIP_SUPERVISOR),
        village=village,
    )
    with transaction.atomic():
        library = _library(cast)
        professionals = _professionals(cast, library)
        _volunteers(cast, volunteer_user)
        _tasks(cast)
        held = _activities(cast, library)
        _demo_volunteer_tasks(cast, volunteer_user)
        _links(cast, library, professionals, held)
        _training(cast, volunteer_user)
    return Activity.objects.filter(is_demo=True).count()


# The library -------------------------------------------------------------------------------


def _credit_code(prefix: str, n: int) -> str:
    base = f"{prefix}130111MA{n:07d}"
    return base + uscc.calc_check_digit(base)


def _library(cast: _Cast) -> dict[str, list[Organisation]]:
    """Enterprises, charities and the other kinds at the district or a township; community
    social organisations in villages, incubated. Returns the organisations by kind."""
    rng = cast.rng
    townships = list(Region.objects.filter(HOME, level=Level.TOWNSHIP).order_by("code"))
    district = townships[0].parent
    names = sorted({rng.choice(CHARITY_STEMS) + rng.choice(CHARITY_STEMS) for _ in range(80)})
    charities = [f"栾城区{stem}{rng.choice(CHARITY_KINDS)}" for stem in names[:CHARITIES]]
    planned = [(K.SOCIAL_ENTERPRISE, name, "捐赠物资、爱心助学") for name in ENTERPRISES]
    planned += [(K.CHARITY, name, "慈善救助、物资发放、志愿服务") for name in charities]
    planned += OTHERS
    library: dict[str, list[Organisation]] = {}
    for n, (kind, name, services) in enumerate(planned, start=1):
        region = district if rng.random() < 0.7 else rng.choice(townships)
        organisation = libraries_services.organisation_create(
            by=cast.admin,
            name=name + MARK,
            kind=kind,
            credit_code=_credit_code("91" if kind == K.SOCIAL_ENTERPRISE else "53", n),
            contact_name=cast.fake.name(),
            contact_phone=cast.phone(),
            services=services,
            service_area=region.name,
            region=region,
            # One charity stopped its work here for now: the library shows it paused.
            status=OrganisationStatus.PAUSED
            if name == charities[-1]
            else OrganisationStatus.ACTIVE,
            joined_on=cast.ago(200, 1500),
        )
        library.setdefault(kind, []).append(organisation)
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, parent=townships[0]).order_by("code")[:3]
    )
    everywhere = list(Region.objects.filter(HOME, level=Level.VILLAGE).order_by("code"))
    villages += rng.sample(everywhere, len(COMMUNITY) - 3)
    agencies = library[K.SOCIAL_WORK]
    for name, village, stage in zip(COMMUNITY, villages, STAGES, strict=True):
        organisation = libraries_services.organisation_create(
            by=cast.staff_of(village.code),
            name=f"{village.name}{name}{MARK}",
            kind=K.COMMUNITY,
            contact_name=cast.fake.name(),
            contact_phone=cast.phone(),
            services="志愿服务、互助活动",
            service_area=village.name,
            region=village,
            joined_on=cast.ago(100, 800),
        )
        mentor = rng.choice(agencies).name.removesuffix(MARK)
        _incubate(cast, organisation, stage, mentor)
        library.setdefault(K.COMMUNITY, []).append(organisation)
    # organisation_create takes no is_demo: marked here, in one update.
    made = [o.pk for found in library.values() for o in found]
    Organisation.objects.filter(pk__in=made).update(is_demo=True)
    return library


def _incubate(cast: _Cast, organisation: Organisation, stage: str, mentor: str) -> None:
    """An incubation that started long enough ago for its stage, with its milestones."""
    started_days = {"seed": (40, 150), "startup": (150, 300), "growing": (300, 500)}
    low, high = started_days.get(stage, (600, 900))
    started_on = cast.ago(low, high)
    incubation = libraries_services.incubation_start(
        by=cast.admin, organisation=organisation, started_on=started_on, mentor=mentor
    )
    reached = {"seed": 1, "startup": 2, "growing": 3}.get(stage, 5)
    span = (cast.today - started_on).days
    days = sorted(cast.rng.sample(range(1, span), reached))
    for title, day in zip(MILESTONES, days, strict=False):
        libraries_services.milestone_add(
            by=cast.admin,
            organisation=organisation,
            reached_on=started_on + dt.timedelta(days=day),
            title=title,
            note="演示（生成）",
        )
    if stage != IncubationStage.SEED:
        working = IncubationStage.GROWING if stage == "graduated" else stage
        incubation = libraries_services.incubation_update(
            by=cast.admin,
            organisation=organisation,
            version=incubation.version,
            stage=working,
            mentor=mentor,
        )
    if stage == IncubationStage.GRADUATED:
        libraries_services.incubation_graduate(
            by=cast.admin,
            organisation=organisation,
            version=incubation.version,
            graduated_on=started_on + dt.timedelta(days=days[-1]),
        )


def _professionals(cast: _Cast, library: dict[str, list[Organisation]]) -> list[Professional]:
    townships = list(Region.objects.filter(HOME, level=Level.TOWNSHIP).order_by("code"))
    district = townships[0].parent
    made = []
    for profession, count, qualification, skills, kind in PROFESSIONALS:
        for _ in range(count):
            region = district if cast.rng.random() < 0.6 else cast.rng.choice(townships)
            made.append(
                libraries_services.professional_create(
                    by=cast.admin,
                    name=cast.fake.name(),
                    profession=profession,
                    qualification=qualification,
                    organisation=cast.rng.choice(library[kind]) if kind else None,
                    skills=skills,
                    availability=cast.rng.choice(AVAILABILITY),
                    phone=cast.phone(),
                    region=region,
                )
            )
    # professional_create takes no is_demo either.
    Professional.objects.filter(pk__in=[p.pk for p in made]).update(is_demo=True)
    return made


# Volunteers and their tasks --------------------------------------------------------------------


def _volunteers(cast: _Cast, account: User) -> None:
    """About 60% from the registry (adults of 18–70), the rest by name and phone; about 40%
    registered on the national system. A few in the demo village, one of them demo-volunteer."""
    rng = cast.rng
    adults = Person.objects.filter(
        under_prefix("region_id", DISTRICT_AREA),
        is_demo=True,
        birth_date__lte=cast.today - dt.timedelta(days=18 * 366),
        birth_date__gte=cast.today - dt.timedelta(days=70 * 365),
    )
    local = list(adults.filter(region=cast.village).order_by("pk")[:4])
    pool = list(adults.exclude(region=cast.village).order_by("pk")[:3000])
    people = local + rng.sample(pool, min(len(pool), VOLUNTEERS * 6 // 10 - len(local)))
    # (the village, what volunteer_create is given): a registry person brings name and village.
    rows: list[tuple[str, dict]] = [(p.region_id, {"person": p}) for p in people]
    if not local:
        rows.insert(0, (cast.village.code, {"name": account.full_name, "region": cast.village}))
    rows[0][1]["user"] = account
    villages = list(Region.objects.filter(HOME, level=Level.VILLAGE).order_by("code"))
    while len(rows) < VOLUNTEERS:
        village = cast.village if len(rows) < len(people) + 4 else rng.choice(villages)
        rows.append((village.code, {"name": cast.fake.name(), "region": village}))
    for n, (code, row) in enumerate(rows, start=1):
        joined = cast.ago(20, 1100)
        registered = n == 1 or rng.random() < 0.4
        cast.volunteers.append(
            volunteer_services.volunteer_create(
                by=cast.staff_of(code),
                phone="" if "person" in row else cast.phone(),
                skills="、".join(rng.sample(SKILLS, 2)),
                availability=rng.choice(AVAILABILITY),
                registered=registered,
                national_number=f"1301112{joined.year}{n:05d}" if registered else "",
                joined_on=joined,
                is_demo=True,
                **row,
            )
        )
    # Two stopped volunteering: the lists show them, the overview leaves them out.
    for volunteer in rng.sample(cast.volunteers[5:], 2):
        volunteer_services.volunteer_update(
            by=cast.staff_of(volunteer.region_id),
            volunteer_id=volunteer.pk,
            version=volunteer.version,
            changes={"is_active": False},
        )
    active = set(
        Volunteer.objects.filter(is_demo=True, is_active=True).values_list("pk", flat=True)
    )
    cast.volunteers = [v for v in cast.volunteers if v.pk in active]


def _served(cast: _Cast, region: Region) -> Person | None:
    old = Person.objects.filter(
        under_prefix("region_id", DISTRICT_AREA),
        under_prefix("region_id", region.prefix),
        is_demo=True,
        birth_date__lte=cast.today - dt.timedelta(days=70 * 365),
    ).order_by("pk")[:20]
    return cast.rng.choice(old) if old else None


def _tasks(cast: _Cast) -> None:
    """Past tasks with hours logged and approved (the latest few waiting for approval, one
    rejected), upcoming ones open for sign-up (one cancelled)."""
    rng = cast.rng
    villages = sorted({v.region_id for v in cast.volunteers})
    for n in range(PAST_TASKS + FUTURE_TASKS):
        future = n >= PAST_TASKS
        code = rng.choice(villages)
        region = Region.objects.get(pk=code if rng.random() < 0.8 else code[:9] + "000")
        kind = rng.choice(list(TASKS))
        title = rng.choice(TASKS[kind])
        organiser = cast.staff_of(region.code)
        if future:
            date = cast.today + dt.timedelta(days=rng.randint(2, 30))
        else:
            date = cast.ago(3, 30) if n < 3 else cast.ago(31, 290)
        task = tasks.task_create(
            by=organiser,
            title=title,
            kind=kind,
            region=region,
            date=date,
            place=f"{region.name}{'综合服务站' if region.level == Level.VILLAGE else '社工站'}",
            description="演示（生成）",
            slots=rng.randint(1, 4),
            person=_served(cast, region) if kind in (TaskKind.VISIT, TaskKind.ESCORT) else None,
        )
        nearby = cast.volunteers_in(region.prefix)
        helpers = rng.sample(nearby, min(len(nearby), task.slots - (1 if future else 0)))
        for i, volunteer in enumerate(helpers):
            assignment = tasks.assign(by=organiser, task=task, volunteer=volunteer)
            if future:
                continue
            assignment = tasks.log_hours(
                by=organiser,
                assignment=assignment,
                version=assignment.version,
                hours=rng.choice(["1.5", "2", "2.5", "3", "4"]),
            )
            if n < 3:
                continue  # logged in the last month: waiting for the organiser
            if n == 3 and i == 0:
                tasks.reject_hours(
                    by=organiser,
                    assignment=assignment,
                    version=assignment.version,
                    note="演示：当天未到岗，由他人代班",
                )
            else:
                tasks.approve_hours(by=organiser, assignment=assignment, version=assignment.version)
        if not future or n == PAST_TASKS + FUTURE_TASKS - 1:
            task.refresh_from_db(fields=["version"])
            status = TaskStatus.CLOSED if not future else TaskStatus.CANCELLED
            tasks.task_set_status(by=organiser, task=task, version=task.version, status=status)


def _demo_volunteer_tasks(cast: _Cast, account: User) -> None:
    """demo-volunteer: a past task with hours they logged and the station approved, an upcoming
    one they are on, and an open one in their village still taking sign-ups."""
    volunteer = Volunteer.objects.get(user=account)
    organiser = cast.staff_of(cast.village.code)

    def task(kind: str, days: int, slots: int, description: str):
        return tasks.task_create(
            by=organiser, title=TASKS[kind][0], kind=kind, region=cast.village,
            date=cast.today + dt.timedelta(days=days), place=f"{cast.village.name}综合服务站",
            description=f"演示（生成）：{description}", slots=slots,
            person=_served(cast, cast.village) if kind == TaskKind.VISIT else None,
        )  # fmt: skip

    past = task(TaskKind.VISIT, -9, 2, "每月一次上门探访，聊天并检查用火用电安全。")
    mine = tasks.assign(by=organiser, task=past, volunteer=volunteer)
    mine = tasks.log_hours(by=account, assignment=mine, version=mine.version, hours="2.5")
    tasks.approve_hours(by=organiser, assignment=mine, version=mine.version)
    past.refresh_from_db(fields=["version"])
    tasks.task_set_status(by=organiser, task=past, version=past.version, status=TaskStatus.CLOSED)
    upcoming = task(TaskKind.TUTORING, 5, 3, "在儿童之家活动室辅导小学生作业。")
    tasks.assign(by=organiser, task=upcoming, volunteer=volunteer)
    task(TaskKind.CHORES, 8, 2, "入冬前帮助高龄老人清扫院落、整理柴火。")


# Activities ----------------------------------------------------------------------------------


def _stations(cast: _Cast) -> list[Region]:
    """Where activities are organised: the demo village twice (its director organises there,
    station or not: its overview has content), every township twice, the centre, and villages
    with a station."""
    found = Region.objects.filter(HOME, pk__in=Station.objects.values("region_id")).order_by("code")
    by_level: dict[str, list[Region]] = {}
    for region in found:
        by_level.setdefault(region.level, []).append(region)
    stations = [cast.village] * 2 + by_level.get(Level.TOWNSHIP, []) * 2
    stations += by_level.get(Level.DISTRICT, []) * 4
    elsewhere = [r for r in by_level.get(Level.VILLAGE, []) if r.pk != cast.village.pk]
    stations += cast.rng.sample(elsewhere, min(ACTIVITY_COUNT - len(stations), len(elsewhere)))
    return stations


def _takers(cast: _Cast, region: Region, target: str, count: int) -> list[Person]:
    """Registry people of the station's area fitting the target group."""
    people = Person.objects.filter(under_prefix("region_id", region.prefix), is_demo=True)
    if target == T.CHILDREN:
        people = people.filter(birth_date__gt=cast.today - dt.timedelta(days=18 * 365))
    elif target == T.ELDERLY:
        people = people.filter(birth_date__lte=cast.today - dt.timedelta(days=60 * 365))
    found = list(people.order_by("pk")[:300])
    return cast.rng.sample(found, min(count, len(found)))


def _activities(cast: _Cast, library: dict[str, list[Organisation]]) -> list[Activity]:
    """Activities over the past ten months at the stations, held with summaries and
    person-times; the last few planned, one cancelled; two groups held in sessions. Returns the
    ones held."""
    rng = cast.rng
    lenders = library[K.COMMUNITY] + library[K.CHARITY][:-1] + library[K.SOCIAL_ENTERPRISE]
    lenders += library[K.MEDICAL] + library[K.SOCIAL_WORK]
    held = []
    stations = _stations(cast)
    kinds = rng.sample(ACTIVITIES, len(ACTIVITIES))
    for n, region in enumerate(stations):
        by = cast.staff_of(region.code)
        group = n in (1, 5)
        if group:
            title, target, topics = GROUPS[n == 5]
            kind, heads = A.GROUP_WORK, (0, 0)
        else:
            kind, target, titles, heads = kinds[n % len(kinds)]
            title = rng.choice(titles)
        planned = n >= len(stations) - 4
        if planned:
            date = cast.today + dt.timedelta(days=rng.randint(3, 30))
        else:
            date = cast.ago(60 if group else 2, 300)
        activity = activities.activity_create(
            by=by,
            title=title,
            kind=kind,
            region=region,
            date=date,
            target_group=target,
            place=f"{region.name}{rng.choice(['文化广场', '综合服务站', '活动室'])}",
            head_count=0 if group else rng.randint(*heads),
            organisations=rng.sample(lenders, rng.randint(1, 3)),
            is_demo=True,
        )
        people = _takers(cast, region, target, rng.randint(6, 10) if group else rng.randint(3, 15))
        if people:
            activity = activities.participants_add(
                by=by, activity_id=activity.pk, version=activity.version, people=people
            )
        helpers = cast.volunteers_in(region.prefix) if rng.random() < 0.6 or group else []
        helpers = rng.sample(helpers, min(len(helpers), rng.randint(1, 4)))
        if helpers:
            activity = activities.volunteers_assign(
                by=by, activity_id=activity.pk, version=activity.version, volunteers=helpers
            )
        if group:
            _sessions(cast, by, activity, people, topics + GROUP_EXTRA[: rng.randint(0, 2)])
            activity.refresh_from_db()
        if planned:
            if n == len(stations) - 1:
                _cancel(by, activity)
            continue
        activity = activities.activity_close(
            by=by, activity_id=activity.pk, version=activity.version, summary=rng.choice(SUMMARIES)
        )
        held.append(activity)
        _activity_hours(cast, by, activity)
    return held


def _cancel(by: User, activity: Activity) -> None:
    """Called off (its help task is cancelled with it)."""
    activities.activity_cancel(by=by, activity_id=activity.pk, version=activity.version)


def _sessions(
    cast: _Cast, by: User, activity: Activity, members: list[Person], topics: list[str]
) -> None:
    """Weekly sessions from the activity's date; most members attend each (a head count when
    the area has no registry people to take part)."""
    for number, topic in enumerate(topics, start=1):
        present = [p for p in members if cast.rng.random() < 0.85]
        heads = 0 if members else cast.rng.randint(4, 8)
        date = activity.date + dt.timedelta(weeks=number - 1)
        activity.refresh_from_db(fields=["version"])
        save = activities.session_update if number == 1 else activities.session_add
        extra = {"number": 1} if number == 1 else {}
        save(
            by=by,
            activity_id=activity.pk,
            version=activity.version,
            date=date,
            topic=topic,
            head_count=heads,
            attendees=present,
            **extra,
        )


def _activity_hours(cast: _Cast, by: User, activity: Activity) -> None:
    """The helpers' hours on a held activity, approved, and its help task closed."""
    task = activity.tasks.first()
    if task is None:
        return
    for assignment in task.assignments.all():
        assignment = tasks.log_hours(
            by=by, assignment=assignment, version=assignment.version, hours="3"
        )
        tasks.approve_hours(by=by, assignment=assignment, version=assignment.version)
    task.refresh_from_db(fields=["version"])
    tasks.task_set_status(by=by, task=task, version=task.version, status=TaskStatus.CLOSED)


# Resource links ------------------------------------------------------------------------------


def _links(
    cast: _Cast,
    library: dict[str, list[Organisation]],
    professionals: list[Professional],
    held: list[Activity],
) -> None:
    """Every enterprise and charity gives at least once; the rest from any resource. Most go to
    people in need, some to open cases, finished service orders and held activities."""
    rng = cast.rng
    in_need = list(
        Person.objects.filter(
            under_prefix("region_id", DISTRICT_AREA),
            is_demo=True,
            categories__category__in=IN_NEED,
        )
        .distinct()
        .order_by("pk")[:600]
    )
    local = list(Person.objects.filter(is_demo=True, region=cast.village).order_by("pk")[:3])
    cases = list(
        Case.objects.filter(
            under_prefix("person__region_id", DISTRICT_AREA),
            person__is_demo=True,
            programme=Programme.MINORS,
        )
        .exclude(stage="closed")
        .order_by("pk")[:200]
    )
    orders = list(
        ServiceOrder.objects.filter(
            under_prefix("person__region_id", DISTRICT_AREA),
            person__is_demo=True,
            status__in=ORDER_CLOSED,
        )
        .exclude(status="cancelled")
        .order_by("pk")[:200]
    )
    givers: list[Organisation | Professional] = library[K.SOCIAL_ENTERPRISE] + library[K.CHARITY]
    anyone = givers + library[K.COMMUNITY] + library[K.SOCIAL_WORK] + library[K.MEDICAL]
    anyone += library[K.PSYCHOLOGICAL] + library[K.REHABILITATION] + professionals
    givers += rng.choices(anyone, k=LINKS - len(givers))
    Recipient = libraries_links.Recipient
    recipients = [Recipient(person=person) for person in local]
    for _ in range(LINKS):
        roll = rng.random()
        if roll < 0.12 and cases:
            recipients.append(Recipient(case=rng.choice(cases)))
        elif roll < 0.22 and orders:
            recipients.append(Recipient(service_order=rng.choice(orders)))
        elif roll < 0.42 and held:
            recipients.append(Recipient(activity=rng.choice(held)))
        elif in_need:
            recipients.append(Recipient(person=rng.choice(in_need)))
    for giver, recipient in zip(givers, recipients, strict=False):
        _link(cast, giver, recipient)


def _link(cast: _Cast, giver, recipient: libraries_links.Recipient) -> None:
    rng = cast.rng
    if isinstance(giver, Professional) or giver.kind not in (K.SOCIAL_ENTERPRISE, K.CHARITY):
        kind = LinkKind.SERVICE
    else:
        kind = rng.choice([LinkKind.GOODS, LinkKind.GOODS, LinkKind.MONEY, LinkKind.SERVICE])
    description, unit, price = rng.choice(GIFTS[kind])
    if kind == LinkKind.MONEY:
        quantity = Decimal(rng.choice([200, 500, 800, 1000, 2000]))
        value = quantity
    else:
        quantity = Decimal(rng.randint(1, 3) if recipient.activity is None else rng.randint(10, 60))
        value = quantity * price
    # Recorded by the staff of whom it went to (the recipient's village, or the organiser).
    by = cast.staff_of(recipient.region_id)
    given_on = recipient.activity.date if recipient.activity else cast.ago(1, 300)
    libraries_links.link_create(
        by=by,
        recipient=recipient,
        organisation=giver if isinstance(giver, Organisation) else None,
        professional=giver if isinstance(giver, Professional) else None,
        kind=kind,
        description=f"{description}（演示）",
        quantity=quantity,
        unit=unit,
        value=value,
        given_on=given_on,
    )


# Training ------------------------------------------------------------------------------------


COURSES = [
    # title, audience, organised by (the district or the demo township), trainer, topics
    ("社会工作实务能力提升培训", Audience.STAFF, "district", "河北省社会工作督导（演示）",
     "个案管理流程与记录、小组工作方法、危机干预与转介"),
    ("志愿者服务技能培训", Audience.VOLUNTEERS, "township", "明德社会工作服务中心（演示）",
     "志愿服务礼仪与安全、应急救护常识"),
    ("五社联动项目管理培训", Audience.BOTH, "district", "区民政局社会工作股（演示）",
     "五社联动工作机制、资源链接与台账、活动策划与总结"),
]  # fmt: skip


def _training(cast: _Cast, account: User) -> None:
    rng = cast.rng
    township = cast.village.parent
    where = {"district": township.parent, "township": township}
    for title, audience, level, trainer, topics in COURSES:
        region = where[level]
        by = cast.admin if level == "district" else cast.staff_of(region.code)
        course = training.course_create(
            by=by,
            title=title,
            region=region,
            audience=audience,
            trainer=trainer,
            description="演示（生成）",
            is_demo=True,
        )
        staff = list(training.eligible_staff(course).values_list("pk", flat=True))
        helpers = list(training.eligible_volunteers(course, by).values_list("pk", flat=True))
        first = cast.ago(60, 200)
        for week, topic in enumerate(topics.split("、")):
            session = training.session_add(
                by=by,
                course=course,
                date=first + dt.timedelta(weeks=week),
                topic=topic,
                hours=Decimal(rng.choice([2, 3, 4])),
            )
            volunteer_ids = set(rng.sample(helpers, min(len(helpers), 15)))
            if audience == Audience.VOLUNTEERS:
                volunteer_ids.add(account.volunteer.pk)
            training.attendance_set(
                by=by,
                session=session,
                staff_ids=rng.sample(staff, min(len(staff), 20)),
                volunteer_ids=volunteer_ids,
            )
