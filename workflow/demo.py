"""Two small demo provinces with a user for every role and nominations in every state.

Phú Thọ keeps the tree of before 1 July 2025 (province, districts, communes, cells), with a
campaign under way; `reorganise` replays that year's reorganisation on it while the campaign
runs (communes merged, districts dissolved). Lai Châu is already two-tier: its communes answer
straight to the province.
"""

import datetime as dt

from sqlalchemy import select

from workflow import policy, reorganisation, services
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
bithu3,Vàng Thị Sua,bithu@naluong.example,secretary,LC-BL-NL,{DEMO_PASSWORD}
"""

TWO_TIER_CAMPAIGN = "Điển hình tiên tiến năm 2026 – Tỉnh ủy Lai Châu"

TWO_TIER_NOMINATIONS = [
    (
        "Tổ hợp tác dệt thổ cẩm bản Nà Luồng",
        "collective",
        "Giữ nghề dệt thổ cẩm, tạo việc làm cho 30 phụ nữ",
        "Kinh tế",
        "commune",
        [("bithu3", "submit")],
    ),
    (
        "Lò Văn Thanh",
        "individual",
        "Vận động bà con trồng 40 ha chè Shan tuyết",
        "Kinh tế",
        "province",
        [("bithu3", "submit"), ("xa2", "approve")],
    ),
    (
        "Chi đoàn bản Nà Luồng",
        "collective",
        "Làm 2 km đường bê tông liên bản",
        "Xây dựng nông thôn mới",
        "commune",
        [("bithu3", "submit"), ("xa2", "approve")],
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


def seed(session, today=None):
    """Load the demo; running it again changes nothing. Returns True if it loaded anything."""
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
    return loaded


def _campaign(session, province_code, name, nominations, levels, today):
    users = {user.username: user for user in session.scalars(select(User))}
    province = session.scalar(select(Unit).where(Unit.code == province_code))
    admin = next(user for user in users.values() if user.role == "admin" and user.unit == province)
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
