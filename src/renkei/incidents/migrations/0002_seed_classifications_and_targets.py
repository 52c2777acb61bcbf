"""The classes the Games' centre counted its reports in (the seed's incident-classification
figure) and default response targets; both lists stay editable."""

from django.db import migrations

CLASSIFICATIONS = [
    ("cloud_outage", "クラウドサービス障害", "Cloud service outage"),
    ("system_outage", "システム障害", "System outage"),
    ("dos", "DoS/DDoS攻撃", "DoS/DDoS"),
    ("defacement", "Webサイト改ざん", "Defacement"),
    ("site_access", "サイトアクセス障害", "Site access failure"),
    ("phishing", "フィッシング", "Phishing"),
    ("malware", "マルウェア・ランサムウェア", "Malware / ransomware"),
    ("unauthorised_access", "不正アクセス", "Unauthorised access"),
    ("data_leak", "情報漏えい", "Data leak"),
    ("other", "その他", "Other"),
]

# severity: (first response within minutes, closed within hours)
TARGETS = [
    ("critical", 15, 24),
    ("high", 30, 72),
    ("medium", 60, 168),
    ("low", 240, 336),
]


def seed(apps, schema_editor):
    Classification = apps.get_model("incidents", "Classification")
    ResponseTarget = apps.get_model("incidents", "ResponseTarget")
    for order, (code, name_ja, name_en) in enumerate(CLASSIFICATIONS, start=1):
        Classification.objects.get_or_create(
            code=code, defaults={"name_ja": name_ja, "name_en": name_en, "order": order * 10})
    for severity, minutes, hours in TARGETS:
        ResponseTarget.objects.get_or_create(
            severity=severity,
            defaults={"first_response_minutes": minutes, "close_hours": hours})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
