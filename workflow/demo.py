"""A small demo province with a user for every role and nominations in every state."""

import datetime as dt

from sqlalchemy import select

from workflow import policy, services
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

COMMENTS = {
    "return": "Đề nghị bổ sung minh chứng về kết quả công việc.",
    "reject": "Thành tích chưa đủ tiêu chuẩn điển hình cấp xã.",
}


def seed(session, today=None):
    """Load the demo; running it again changes nothing. Returns True if it loaded anything."""
    import_units(session, policy.OPERATOR, UNITS)
    import_users(session, policy.OPERATOR, USERS)
    if session.scalar(select(Campaign).where(Campaign.name == CAMPAIGN)) is not None:
        return False
    today = today or services.today()
    users = {user.username: user for user in session.scalars(select(User))}
    province = session.scalar(select(Unit).where(Unit.code == "PT"))
    campaign = services.create_campaign(
        session,
        users["admin"],
        province,
        name=CAMPAIGN,
        year=today.year,
        submission_deadline=today + dt.timedelta(days=60),
        review_deadlines={
            "commune": today + dt.timedelta(days=75),
            "district": today + dt.timedelta(days=90),
            "province": today + dt.timedelta(days=120),
        },
    )
    for nominee, kind, title, field, target, actions in NOMINATIONS:
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
    return True
