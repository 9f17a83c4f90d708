"""Two small demo provinces with a user for every role and nominations in every state.

Phú Thọ keeps the tree of before 1 July 2025 (province, districts, communes, cells), with a
campaign under way, and a second campaign that Cẩm Khê decides by committee votes within a
quota and the province after a public comment period; `reorganise` replays that year's
reorganisation on it while the campaigns run (communes merged, districts dissolved). Lai Châu
is already two-tier: its communes answer straight to the province.
"""

import datetime as dt
import hashlib

from sqlalchemy import select

from workflow import (
    campaigns,
    comments,
    committees,
    files,
    policy,
    reorganisation,
    services,
    unit_settings,
    workdays,
)
from workflow.imports import import_units, import_users
from workflow.models import Campaign, Unit, User

DEMO_PASSWORD = "demo2026"  # noqa: S105 (published in the README on purpose)

UNITS = """code,name,level,parent_code
PT,Tỉnh ủy Phú Thọ,province,
PT-CK,Huyện ủy Cẩm Khê,district,PT
PT-LT,Huyện ủy Lâm Thao,district,PT
PT-CK-TL,Đảng ủy xã Tiên Lương,commune,PT-CK
PT-CK-PX,Đảng ủy xã Phương Xá,commune,PT-CK
PT-CK-CA,Đảng ủy Công an huyện Cẩm Khê,commune,PT-CK
PT-LT-TT,Đảng ủy thị trấn Lâm Thao,commune,PT-LT
PT-CK-TL-DH,Chi bộ thôn Đồng Hội,cell,PT-CK-TL
PT-CK-TL-K3,Chi bộ khu 3,cell,PT-CK-TL
PT-CK-PX-TH,Chi bộ Trường Tiểu học Phương Xá,cell,PT-CK-PX
PT-CK-CA-DD,Chi bộ Đội Cảnh sát giao thông,cell,PT-CK-CA
PT-LT-TT-K5,Chi bộ khu 5,cell,PT-LT-TT
PT-LT-YT,Chi bộ Trung tâm Y tế huyện Lâm Thao,cell,PT-LT
"""

USERS = f"""username,full_name,email,role,unit_code,password
admin,Nguyễn Văn Quản,admin@phutho.example,admin,PT,{DEMO_PASSWORD}
tinh,Trần Thị Hương,tinh@phutho.example,reviewer,PT,{DEMO_PASSWORD}
huyen,Lê Văn Hùng,huyen@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
huyen2,Phạm Thị Lan,huyen@lamthao.example,reviewer,PT-LT,{DEMO_PASSWORD}
xa,Đỗ Minh Tuấn,xa@tienluong.example,reviewer,PT-CK-TL,{DEMO_PASSWORD}
bithu,Hoàng Thị Mai,bithu@donghoi.example,secretary,PT-CK-TL-DH,{DEMO_PASSWORD}
bithu2,Vũ Đức Thắng,bithu@ytelamthao.example,secretary,PT-LT-YT,{DEMO_PASSWORD}
"""

CAMPAIGN = "Điển hình tiên tiến học tập và làm theo Bác năm 2026"

# (nominee, kind, title, field, target level, actions after creation: (username, action))
NOMINATIONS = [
    (
        "Nguyễn Thị Hoa",
        "individual",
        "Mô hình “Hũ gạo tình thương”",
        "An sinh xã hội",
        "commune",
        [],
    ),
    (
        "Chi hội Phụ nữ thôn Đồng Hội",
        "collective",
        "Hiến đất mở rộng đường giao thông nông thôn",
        "Xây dựng nông thôn mới",
        "district",
        [("bithu", "submit")],
    ),
    (
        "Trần Văn Bình",
        "individual",
        "Giải quyết 95% đơn thư khiếu nại tại cơ sở",
        "Cải cách hành chính",
        "district",
        [("bithu", "submit"), ("xa", "approve")],
    ),
    (
        "Đoàn Thanh niên thôn Đồng Hội",
        "collective",
        "Thắp sáng đường quê",
        "Thanh niên",
        "province",
        [("bithu", "submit"), ("xa", "approve"), ("huyen", "approve")],
    ),
    (
        "Lê Thị Thu",
        "individual",
        "Dạy học miễn phí cho con em hộ nghèo",
        "Giáo dục",
        "district",
        [("bithu", "submit"), ("xa", "return")],
    ),
    (
        "Phạm Văn Cường",
        "individual",
        "Phát triển kinh tế vườn đồi",
        "Kinh tế",
        "commune",
        [("bithu", "submit"), ("xa", "approve")],
    ),
    (
        "Tổ hòa giải thôn Đồng Hội",
        "collective",
        "Hòa giải thành 100% vụ việc",
        "An ninh trật tự",
        "district",
        [("bithu", "submit"), ("xa", "reject")],
    ),
    (
        "Hoàng Văn Đức",
        "individual",
        "Tình nguyện hiến máu",
        "Nhân đạo",
        "commune",
        [("bithu", "withdraw")],
    ),
    (
        "Chi bộ thôn Đồng Hội",
        "collective",
        "Vận động nhân dân hiến 3.200 m² đất làm đường",
        "Xây dựng nông thôn mới",
        "district",
        [("bithu", "submit"), ("xa", "approve"), ("huyen", "approve")],
    ),
    (
        "Nguyễn Văn Sơn",
        "individual",
        "Mô hình nuôi ong lấy mật giúp 20 hộ thoát nghèo",
        "Kinh tế",
        "province",
        [("bithu", "submit"), ("xa", "approve"), ("huyen", "recognize")],
    ),
    (
        "Bác sĩ Nguyễn Thị Yến",
        "individual",
        "Khám chữa bệnh miễn phí cho người cao tuổi",
        "Y tế",
        "district",
        [("bithu2", "submit"), ("huyen2", "approve")],
    ),
]

# The second province: two tiers, as every province has been since 1 July 2025.
TWO_TIER_UNITS = """code,name,level,parent_code
LC,Tỉnh ủy Lai Châu,province,
LC-TP,Đảng ủy phường Tân Phong,commune,LC
LC-BL,Đảng ủy xã Bình Lư,commune,LC
LC-TP-05,Chi bộ tổ dân phố số 5,cell,LC-TP
LC-BL-NL,Chi bộ bản Nà Luồng,cell,LC-BL
"""

TWO_TIER_USERS = f"""username,full_name,email,role,unit_code,password
admin2,Lò Văn Phong,admin@laichau.example,admin,LC,{DEMO_PASSWORD}
tinh2,Tòng Thị Hạnh,tinh@laichau.example,reviewer,LC,{DEMO_PASSWORD}
xa2,Lù Văn Pản,xa@binhlu.example,reviewer,LC-BL,{DEMO_PASSWORD}
bithu4,Vàng Thị Sua,bithu@naluong.example,secretary,LC-BL-NL,{DEMO_PASSWORD}
"""

TWO_TIER_CAMPAIGN = "Điển hình tiên tiến năm 2026 – Tỉnh ủy Lai Châu"

TWO_TIER_NOMINATIONS = [
    (
        "Tổ hợp tác dệt thổ cẩm bản Nà Luồng",
        "collective",
        "Giữ nghề dệt thổ cẩm, tạo việc làm cho 30 phụ nữ",
        "Kinh tế",
        "commune",
        [("bithu4", "submit")],
    ),
    (
        "Lò Văn Thanh",
        "individual",
        "Vận động bà con trồng 40 ha chè Shan tuyết",
        "Kinh tế",
        "province",
        [("bithu4", "submit"), ("xa2", "approve")],
    ),
    (
        "Chi đoàn bản Nà Luồng",
        "collective",
        "Làm 2 km đường bê tông liên bản",
        "Xây dựng nông thôn mới",
        "commune",
        [("bithu4", "submit"), ("xa2", "approve")],
    ),
]

# The 2025 reorganisation of Phú Thọ's demo tree, in the form the provinces used
# (old_code,new_code): two communes of Cẩm Khê merge into a new one, both districts are
# dissolved (their units now answer to the province), the town of Lâm Thao becomes a commune,
# and the district's health centre cell moves under it.
REORGANISATION_2025 = """old_code,new_code,name,parent_code
PT-CK-TL,PT-CKX,Đảng ủy xã Cẩm Khê,
PT-CK-PX,PT-CKX,,
PT-CK,PT,,
PT-LT,PT,,
PT-LT-TT,PT-LT-TT,Đảng ủy xã Lâm Thao,
PT-LT-YT,PT-LT-YT,,PT-LT-TT
"""
REORGANISATION_REASON = (
    "Sắp xếp tổ chức bộ máy theo Nghị quyết số 60-NQ/TW: kết thúc hoạt động cấp huyện, "
    "sáp nhập đơn vị cấp xã từ ngày 01/7/2025."
)

COMMENTS = {
    "return": "Đề nghị bổ sung minh chứng về kết quả công việc.",
    "reject": "Thành tích chưa đủ tiêu chuẩn điển hình cấp xã.",
}


def seed(session, today=None, *, store=None):
    """Load the demo; running it again changes nothing. Returns True if it loaded anything.

    `store` keeps the demo's files (a paper meeting's scanned minutes); without one, the
    campaign decided by committee votes is left out.
    """
    today = today or services.today()
    loaded = False
    for units, users, province, name, nominations, deadlines in (
        (UNITS, USERS, "PT", CAMPAIGN, NOMINATIONS, ("commune", "district", "province")),
        (
            TWO_TIER_UNITS,
            TWO_TIER_USERS,
            "LC",
            TWO_TIER_CAMPAIGN,
            TWO_TIER_NOMINATIONS,
            ("commune", "province"),
        ),
    ):
        # Once its campaign runs, a province is left alone: it may have been reorganised since.
        if session.scalar(select(Campaign).where(Campaign.name == name)) is None:
            import_units(session, policy.OPERATOR, units)
            import_users(session, policy.OPERATOR, users)
            _campaign(session, province, name, nominations, deadlines, today)
            loaded = True
    if store is not None:
        loaded = seed_decisions(session, store, today) or loaded
    return loaded


# Who signs the documents of the demo's reviewing units (under "T/M BAN THƯỜNG VỤ").
SIGNATORIES = {
    "PT": ("secretary", "Nguyễn Văn Hùng"),
    "PT-CK": ("deputy_secretary", "Trần Thị Lan"),
    "PT-LT": ("secretary", "Lê Văn Toàn"),
    "PT-CK-TL": ("secretary", "Phạm Văn Sơn"),
    "LC": ("secretary", "Hoàng Văn Minh"),
}


def _campaign(session, province_code, name, nominations, levels, today):
    users = {user.username: user for user in session.scalars(select(User))}
    province = session.scalar(select(Unit).where(Unit.code == province_code))
    admin = next(user for user in users.values() if user.role == "admin" and user.unit == province)
    for unit in session.scalars(select(Unit).where(Unit.code.in_(SIGNATORIES))):
        if province.contains(unit):
            title, signer = SIGNATORIES[unit.code]
            unit_settings.update_settings(
                session,
                admin,
                unit,
                signer_title=title,
                signer_name=signer,
                signing_key=None,
                keys=(),
            )
    days = {"commune": 75, "district": 90, "province": 120}
    campaign = services.create_campaign(
        session,
        admin,
        province,
        name=name,
        year=today.year,
        submission_deadline=today + dt.timedelta(days=60),
        review_deadlines={level: today + dt.timedelta(days=days[level]) for level in levels},
    )
    for nominee, kind, title, field, target, actions in nominations:
        secretary = users[actions[0][0]] if actions else users["bithu"]
        nomination = services.create_nomination(
            session,
            secretary,
            campaign,
            {
                "kind": kind,
                "nominee_name": nominee,
                "title": title,
                "field": field,
                "summary": f"{title}: mô hình tiêu biểu trong học tập và làm theo Bác.",
                "achievements": f"Thành tích nổi bật năm {today.year}: {title.lower()}.",
                "target_level": target,
            },
        )
        for username, action in actions:
            services.perform(
                session,
                nomination,
                users[username],
                action=action,
                version=nomination.version,
                comment=COMMENTS.get(action),
            )


# The campaign decided by committee votes -------------------------------------------------------
#
# Cẩm Khê's standing committee (five members, each with an account) votes on what reaches the
# district, within a quota per kind; the province recognises after five working days of public
# comment. Two meetings are over (one on paper with its scanned minutes, one in the app), one is
# open with some ballots cast; two names are on the public page with comments, one recognised
# at the province after its period ended.

DECISIONS_CAMPAIGN = "Biểu dương điển hình tiên tiến 10 năm thực hiện Chỉ thị 05-CT/TW"
DECISION_OPTIONS = {"district": {"decision": "committee"}, "province": {"comment_days": 5}}
COMMITTEE_SIZE = 5
MEMBERS = ("uyvien1", "uyvien2", "uyvien3", "uyvien4", "uyvien5")
QUOTA = {"collective": 2, "individual": 3}  # what Cẩm Khê may recognise at the district level
MEETING_PLACE = "Phòng họp Ban Thường vụ Huyện ủy Cẩm Khê"

DECISION_USERS = f"""username,full_name,email,role,unit_code,password
bithu3,Ngô Thị Thanh Hà,bithu@khu3tienluong.example,secretary,PT-CK-TL-K3,{DEMO_PASSWORD}
uyvien1,Nguyễn Quang Vinh,uyvien1@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
uyvien2,Hà Thị Minh Nguyệt,uyvien2@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
uyvien3,Đặng Văn Khoa,uyvien3@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
uyvien4,Phùng Thị Hạnh,uyvien4@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
uyvien5,Cao Văn Lợi,uyvien5@camkhe.example,reviewer,PT-CK,{DEMO_PASSWORD}
"""

# key: (secretary, nominee, kind, title, field, target level, summary, birth year, position,
# e-mail)
CANDIDATES = {
    "nong-dan": (
        "bithu",
        "Chi hội Nông dân thôn Đồng Hội",
        "collective",
        "Dồn điền đổi thửa, xây dựng cánh đồng lớn 50 ha",
        "Kinh tế nông nghiệp",
        "district",
        "Vận động 212 hộ dồn điền đổi thửa, đưa cơ giới hóa vào 50 ha lúa; thu nhập tăng 30 %.",
        None,
        None,
        None,
    ),
    "lan": (
        "bithu3",
        "Trần Thị Lan",
        "individual",
        "Mười năm giữ tủ sách khuyến học cho thiếu nhi khu 3",
        "Giáo dục",
        "district",
        "Gây dựng tủ sách 1.500 cuốn tại nhà văn hóa khu, mở cửa miễn phí mỗi tối.",
        1968,
        "Chi hội trưởng Chi hội Khuyến học khu 3",
        None,
    ),
    "hai": (
        "bithu",
        "Nguyễn Văn Hải",
        "individual",
        "Hiến 1.200 m² đất, vận động 46 hộ mở rộng đường liên thôn",
        "Xây dựng nông thôn mới",
        "province",
        "Gương mẫu hiến đất trước, vận động 46 hộ hiến tổng cộng 3.400 m² mở đường liên thôn.",
        1957,
        "Nguyên Bí thư Chi bộ thôn Đồng Hội",
        None,
    ),
    "tuan": (
        "bithu3",
        "Đinh Văn Tuấn",
        "individual",
        "Nuôi cá lồng trên sông Thao",
        "Kinh tế",
        "district",
        "Phát triển 12 lồng cá trên sông Thao, tạo việc làm cho 15 lao động địa phương.",
        1979,
        None,
        None,
    ),
    "ccb": (
        "bithu",
        "Chi hội Cựu chiến binh thôn Đồng Hội",
        "collective",
        "Giúp 12 hội viên thoát nghèo bằng mô hình nuôi bò sinh sản",
        "Giảm nghèo",
        "province",
        "Lập quỹ “Bò giống nghĩa tình”, trao 24 con bò giống; 12 hộ hội viên đã thoát nghèo.",
        None,
        None,
        None,
    ),
    "ngoc": (
        "bithu3",
        "Bùi Thị Ngọc",
        "individual",
        "Mười lăm năm chăm sóc sức khỏe người cao tuổi không lấy tiền",
        "Y tế",
        "district",
        "Đo huyết áp, hướng dẫn dùng thuốc miễn phí cho hơn 200 người cao tuổi trong khu.",
        1975,
        "Nhân viên y tế khu 3",
        None,
    ),
    "quang": (
        "bithu",
        "Lê Minh Quang",
        "individual",
        "Chế tạo máy tách hạt ngô giá rẻ cho bà con",
        "Sáng kiến",
        "province",
        "Tự chế máy tách hạt ngô giá 4 triệu đồng, đã làm 35 chiếc cho các hộ trong xã.",
        1983,
        None,
        None,
    ),
    "sau": (
        "bithu3",
        "Hà Văn Sáu",
        "individual",
        "Vận động con cháu hiến 2.000 m² đất xây nhà văn hóa khu",
        "Xây dựng nông thôn mới",
        "province",
        "Cùng con cháu hiến 2.000 m² đất và 200 ngày công xây nhà văn hóa khu 3.",
        1958,
        "Trưởng khu dân cư khu 3",
        "havansau@example.vn",
    ),
    "ha": (
        "bithu",
        "Phạm Thị Thu Hà",
        "individual",
        "Dạy bơi miễn phí cho hơn 300 trẻ em",
        "Giáo dục",
        "district",
        "Mỗi hè mở lớp dạy bơi miễn phí; 5 năm qua hơn 300 em biết bơi, phòng chống đuối nước.",
        1986,
        "Giáo viên Trường Tiểu học Tiên Lương",
        "thuha.gv@example.vn",
    ),
    "an-ninh": (
        "bithu3",
        "Tổ tự quản an ninh trật tự khu 3",
        "collective",
        "Năm năm liền không có tội phạm và tệ nạn xã hội",
        "An ninh trật tự",
        "district",
        "Duy trì tuần tra đêm, hòa giải thành 100 % mâu thuẫn; 5 năm không có tội phạm.",
        None,
        None,
        None,
    ),
    "thinh": (
        "bithu",
        "Nguyễn Đức Thịnh",
        "individual",
        "Thành lập hợp tác xã chè, bao tiêu sản phẩm cho 80 hộ",
        "Kinh tế",
        "district",
        "Lập hợp tác xã chè an toàn, bao tiêu chè búp tươi cho 80 hộ với giá ổn định.",
        1972,
        "Giám đốc Hợp tác xã chè Đồng Hội",
        None,
    ),
}

# The paper meeting: those present and the agree counts, as the chair enters them.
PAPER_PRESENT = 5
PAPER_AGREE = {"nong-dan": 4, "lan": 5, "hai": 4, "tuan": 2}
# The app meeting now closed: each member's ballot (four of five voted).
CLOSED_AGENDA = ("ccb", "ngoc", "quang", "sau")
CLOSED_BALLOTS = {
    "uyvien1": {"ccb": "agree", "ngoc": "agree", "quang": "agree", "sau": "agree"},
    "uyvien2": {"ccb": "agree", "ngoc": "agree", "quang": "disagree", "sau": "agree"},
    "uyvien3": {"ccb": "agree", "ngoc": "agree", "quang": "agree", "sau": "agree"},
    "uyvien4": {"ccb": "agree", "ngoc": "disagree", "quang": "disagree", "sau": "agree"},
}
# The app meeting still open: two members have voted so far.
OPEN_AGENDA = ("ha", "an-ninh", "thinh")
OPEN_BALLOTS = {
    "uyvien1": {"ha": "agree", "an-ninh": "agree", "thinh": "agree"},
    "uyvien2": {"ha": "agree", "an-ninh": "agree", "thinh": "disagree"},
}
PUBLIC_COMMENTS = (
    (
        "ccb",
        "Nguyễn Văn Toàn",
        "0912 000 111",
        "Tôi là hội viên, xác nhận năm 2023 chi hội đã giúp gia đình tôi hai con bò giống.",
        "203.0.113.10",
    ),
    (
        "sau",
        "Lê Thị Hằng",
        "hang.le@example.vn",
        "Đề nghị làm rõ diện tích đất hiến là của gia đình ông hay của cả dòng họ.",
        "198.51.100.24",
    ),
)
RETURN_COMMENT = "Ban Thường vụ chưa thông qua (2/5 đồng ý); đề nghị bổ sung minh chứng hiệu quả."


def seed_decisions(session, store, today=None):
    """The campaign Cẩm Khê decides by committee votes (see above); once. True if loaded."""
    if session.scalar(select(Campaign).where(Campaign.name == DECISIONS_CAMPAIGN)) is not None:
        return False  # and left alone: the province may have been reorganised since
    import_users(session, policy.OPERATOR, DECISION_USERS)
    today = today or services.today()
    users = {user.username: user for user in session.scalars(select(User))}
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    admin, chair, province = users["admin"], users["huyen"], units["PT"]
    district = units["PT-CK"]
    campaign = services.create_campaign(
        session,
        admin,
        province,
        name=DECISIONS_CAMPAIGN,
        year=today.year,
        submission_deadline=today + dt.timedelta(days=30),
        review_deadlines={
            "commune": today + dt.timedelta(days=40),
            "district": today + dt.timedelta(days=50),
            "province": today + dt.timedelta(days=70),
        },
        options=DECISION_OPTIONS,
    )
    committees.set_committee(session, admin, district, size=COMMITTEE_SIZE, members=MEMBERS)
    campaigns.set_quota(
        session,
        admin,
        campaign,
        district,
        reason="Chỉ tiêu do Ban Thường vụ Tỉnh ủy giao",
        **QUOTA,
    )
    _add_a_day_off(session, admin, province, today)
    waiting = {key: _at_district(session, users, campaign, key) for key in CANDIDATES}

    # Ten days ago, on paper: the chair enters the counts and attaches the scanned minutes.
    agenda = tuple(PAPER_AGREE)
    paper = _meeting(session, chair, campaign, waiting, agenda, today, -10, -10, "paper")
    _attach_scan(session, store, chair, paper)
    committees.close_meeting(
        session,
        chair,
        paper,
        present=PAPER_PRESENT,
        agree={str(waiting[key].id): count for key, count in PAPER_AGREE.items()},
        on=paper.held_on,
    )
    # Six days ago, in the app: four members voted, the chair closed it two days later.
    closed = _meeting(session, chair, campaign, waiting, CLOSED_AGENDA, today, -6, -4)
    _cast(session, users, closed, waiting, CLOSED_BALLOTS)
    committees.close_meeting(session, chair, closed, on=closed.closes_on)
    # Yesterday, in the app, open until three days from now: two members have voted.
    opened = _meeting(session, chair, campaign, waiting, OPEN_AGENDA, today, -1, 3)
    _cast(session, users, opened, waiting, OPEN_BALLOTS)

    # What passed is recognised or sent on; what did not is returned or left for the chair.
    for key in ("nong-dan", "lan", "hai", "ccb", "ngoc", "sau"):
        _act(session, waiting[key], chair, "approve")
    _act(session, waiting["quang"], chair, "return", RETURN_COMMENT)

    # The province publishes for five working days of comment, then recognises.
    reviewer = users["tinh"]
    days = DECISION_OPTIONS["province"]["comment_days"]
    comments.publish(
        session, reviewer, waiting["hai"], on=_ended_period_start(session, province, today, days)
    )
    _act(session, waiting["hai"], reviewer, "approve")
    for key in ("ccb", "sau"):
        comments.publish(session, reviewer, waiting[key], on=today)
    for key, name, contact, text, address in PUBLIC_COMMENTS:
        comments.add_comment(
            session,
            campaign,
            waiting[key].id,
            name=name,
            contact=contact,
            text=text,
            address=address,
            on=today,
        )
    return True


def _at_district(session, users, campaign, key):
    """Candidate `key`, submitted by its cell and approved by the commune: waiting at Cẩm Khê."""
    secretary, nominee, kind, title, field, target, summary, born, position, email = CANDIDATES[key]
    nomination = services.create_nomination(
        session,
        users[secretary],
        campaign,
        {
            "kind": kind,
            "nominee_name": nominee,
            "title": title,
            "field": field,
            "summary": summary,
            "achievements": f"{summary} Thành tích được chi bộ và nhân dân ghi nhận qua 10 năm.",
            "target_level": target,
            "nominee_birth_year": born,
            "nominee_position": position,
            "nominee_email": email,
        },
    )
    _act(session, nomination, users[secretary], "submit")
    _act(session, nomination, users["xa"], "approve")
    return nomination


def _act(session, nomination, actor, action, comment=None):
    services.perform(
        session, nomination, actor, action=action, version=nomination.version, comment=comment
    )


def _meeting(session, chair, campaign, waiting, agenda, today, held, closes, mode="app"):
    """A meeting of Cẩm Khê's committee held `held` days from today, closing `closes` days."""
    return committees.open_meeting(
        session,
        chair,
        chair.unit,
        campaign,
        held_on=today + dt.timedelta(days=held),
        closes_on=today + dt.timedelta(days=closes),
        place=MEETING_PLACE,
        mode=mode,
        nominations=[waiting[key] for key in agenda],
    )


def _cast(session, users, meeting, waiting, ballots):
    for member, choices in ballots.items():
        votes = {str(waiting[key].id): choice for key, choice in choices.items()}
        committees.cast_ballot(session, users[member], meeting, votes)


def _attach_scan(session, store, chair, meeting):
    data = scanned_minutes_pdf(f"Bien ban hop Ban Thuong vu Huyen uy Cam Khe so {meeting.id}")
    digest = hashlib.sha256(data).hexdigest()
    key = f"minutes-scan-{meeting.id}-{digest[:16]}"
    committees.attach_scan(
        session,
        chair,
        meeting,
        key=key,
        name=f"bien-ban-{meeting.id}.pdf",
        sha256=digest,
        size=len(data),
    )
    files.stage(session, store, key, data)


def _ended_period_start(session, province, today, days):
    """The latest day a name could be published on for its period to have ended by `today`."""
    day = today - dt.timedelta(days=1)
    while workdays.period_end(day, days, workdays.days_off(session, province, day, days)) >= today:
        day -= dt.timedelta(days=1)
    return day


def _add_a_day_off(session, admin, province, today):
    """An extra day off the province declared: the first working day six weeks from now."""
    day = today + dt.timedelta(days=42)
    while not workdays.is_working_day(day):
        day += dt.timedelta(days=1)
    workdays.add_day_off(
        session, admin, province, day=day, name="Nghỉ hoán đổi theo thông báo của Tỉnh ủy"
    )


def scanned_minutes_pdf(line):
    """A tiny valid one-page PDF standing for a scan: the demo has no scanner (`line`: ASCII)."""
    text = line.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 56 780 Td (" + text + b") Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(pdf)


def reorganise(session):
    """Replay the 2025 reorganisation on Phú Thọ's demo tree as its administrator, while the
    demo campaign runs. Returns the report, or None when it was replayed already."""
    district = session.scalar(select(Unit).where(Unit.code == "PT-CK"))
    if district is None or district.retired:
        return None
    admin = session.scalar(select(User).where(User.username == "admin"))
    return reorganisation.apply_csv(
        session, admin, REORGANISATION_2025, reason=REORGANISATION_REASON
    )
