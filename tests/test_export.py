"""CSV and XLSX exports of topic lists, through real HTTP requests with the Django test client."""

import csv
import html
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renkei.accounts.models import AuditEntry
from renkei.communities import export
from renkei.sharing.models import AudienceMode

pytestmark = pytest.mark.django_db

BOM = "\ufeff".encode()
NOTICE_EN = "Includes TLP:RED / TLP:AMBER+STRICT — do not share beyond the recipients"
NOTICE_JA = "TLP:RED / TLP:AMBER+STRICT を含む — 受領者以外に共有しないこと"


def get_csv(client, **params):
    return client.get(reverse("communities:export_csv"), params)


def csv_lines(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM)
    text = data[len(BOM):].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def ids_of(lines: list[list[str]]) -> list[str]:
    header_at = next(i for i, line in enumerate(lines) if line and line[0] == "Topic ID")
    return [line[0] for line in lines[header_at + 1:]]


@pytest.fixture
def topics(world, post):
    """General (everyone), ISAC (closed: alpha and Bob), and confined ones in the ISAC."""
    t = {}
    t["general"] = post(world.commander, world.general, "全体への注意喚起",
                        now=datetime(2026, 11, 1, 3, 4, tzinfo=UTC))
    t["isac"] = post(world.alice, world.isac, "ISAC だけの話",
                     now=datetime(2026, 11, 2, 15, 30, tzinfo=UTC))
    t["strict"] = post(world.alice, world.isac, "厳秘の話", tlp="amber+strict",
                       now=datetime(2026, 11, 3, tzinfo=UTC))
    t["red"] = post(world.alice, world.isac, "RED の話", tlp="red",
                    audience_mode=AudienceMode.CHOSEN, audience_users=[world.bob],
                    now=datetime(2026, 11, 4, tzinfo=UTC))
    return t


# --- CSV -------------------------------------------------------------------------------------

def test_csv_is_streamed_with_bom_crlf_header_and_a_file_name(as_user, world, topics):
    response = get_csv(as_user(world.bob))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="renkei-topics-')
    assert disposition.endswith('.csv"')
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM + b"Topic ID,Title,Tag,")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    lines = list(csv.reader(io.StringIO(data[len(BOM):].decode(), newline="")))
    assert lines[0] == ["Topic ID", "Title", "Tag", "Kind of information", "TLP", "Community",
                        "Posted by", "Organisation", "Created", "Last update", "Views",
                        "いいね！", "Comments", "Attachments", "Link"]


def test_csv_rows_hold_the_columns_in_the_readers_zone(as_user, world, topics):
    world.bob.time_zone = "UTC"
    world.bob.save(update_fields=["time_zone"])
    lines = csv_lines(get_csv(as_user(world.bob)))
    row = next(line for line in lines if line[0] == topics["isac"].public_id)
    assert row[1:8] == ["ISAC だけの話", "", "Alert / advisory", "TLP:GREEN", "通信ISAC",
                        "アルファ通信) Alice", "アルファ通信"]
    assert row[8:10] == ["2026-11-02 15:30", "2026-11-02 15:30"]
    assert row[10:14] == ["0", "0", "0", "0"]
    assert row[14] == f"http://testserver/topics/{topics['isac'].public_id}/"


def test_csv_times_default_to_tokyo_and_headers_to_japanese(client, world, topics):
    client.force_login(world.bob)  # Bob reads Japanese, in Asia/Tokyo
    lines = csv_lines(get_csv(client))
    assert lines[0][:3] == ["トピックID", "タイトル", "タグ"]
    row = next(line for line in lines if line[0] == topics["isac"].public_id)
    assert row[8] == "2026-11-03 00:30"  # 15:30 UTC
    assert row[3] == "注意喚起情報"


def test_an_outsider_exports_only_what_they_read(as_user, world, topics):
    ids = ids_of(csv_lines(get_csv(as_user(world.charlie), confined=1)))
    assert ids == [topics["general"].public_id]


def test_confined_rows_are_left_out_unless_asked_for(as_user, world, topics):
    client = as_user(world.bob)
    lines = csv_lines(get_csv(client))
    assert lines[0][0] == "Topic ID"  # no notice
    assert set(ids_of(lines)) == {topics["general"].public_id, topics["isac"].public_id}
    lines = csv_lines(get_csv(client, confined=1))
    assert lines[0] == [NOTICE_EN]
    # Newest update first, as the list shows them.
    assert ids_of(lines) == [topics[k].public_id for k in ("red", "strict", "isac", "general")]


def test_confined_rows_follow_the_audience(as_user, world, topics):
    """RED names Bob only: Alice's colleague gets the AMBER+STRICT row, not the RED one."""
    ids = ids_of(csv_lines(get_csv(as_user(world.alice2), confined="1")))
    assert topics["strict"].public_id in ids and topics["red"].public_id not in ids


def test_the_notice_is_in_japanese_for_japanese_readers(client, world, topics):
    client.force_login(world.bob)
    assert csv_lines(get_csv(client, confined=1))[0] == [NOTICE_JA]


def test_formulas_are_neutralised(as_user, world, post):
    for title in ("=HYPERLINK(\"http://evil.example\")", "+1+2", "-3", "@SUM(A1)",
                  "ふつうの=題名"):
        post(world.alice, world.isac, title)
    lines = csv_lines(get_csv(as_user(world.alice)))
    titles = {line[1] for line in lines[1:]}
    assert titles == {"'=HYPERLINK(\"http://evil.example\")", "'+1+2", "'-3", "'@SUM(A1)",
                      "ふつうの=題名"}


def test_neutralise_leaves_numbers_and_plain_text():
    assert export.neutralise(-3) == -3
    assert export.neutralise("ok") == "ok"
    assert export.neutralise("\rx") == "'\rx"
    assert export.neutralise("\tx") == "'\tx"


def test_filters_of_the_search_apply(as_user, world, topics, post):
    post(world.commander, world.general, "ランサムウェアの注意", tag="important")
    client = as_user(world.bob)
    rows = csv_lines(get_csv(client, q="ランサムウェア"))[1:]
    assert [row[1] for row in rows] == ["ランサムウェアの注意"]
    assert rows[0][2] == "【重要】"
    ids = ids_of(csv_lines(get_csv(client, community=world.isac.id, confined=1)))
    assert set(ids) == {topics[k].public_id for k in ("isac", "strict", "red")}


def test_rows_cost_no_query_each(as_user, world, post):
    """Titles, names and counts come with the rows: the queries do not grow with the list."""
    def queries_for_export() -> tuple[int, int]:
        client = as_user(world.bob)
        with CaptureQueriesContext(connection) as queries:
            rows = csv_lines(get_csv(client))[1:]
        return len(rows), len(queries)

    post(world.alice, world.isac, "one")
    few_rows, few_queries = queries_for_export()
    for n in range(12):
        post(world.alice2 if n % 2 else world.alice, world.isac, f"more {n}")
    many_rows, many_queries = queries_for_export()
    assert (few_rows, many_rows) == (1, 13)
    assert many_queries == few_queries


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"q": "x"}, {"q": "あ" * 5000}, {"tlp": "purple"}, {"sort": "random"},
    {"from": "2026-13-01"}, {"from": "2026-11-05", "to": "2026-11-01"},
    {"confined": "yes"}, {"community": "abc"}, {"kind": "gossip"},
])
@pytest.mark.parametrize("name", ["communities:export_csv", "communities:export_xlsx"])
def test_bad_parameters_are_refused_and_nothing_is_recorded(as_user, world, topics, params,
                                                             name):
    before = AuditEntry.objects.count()
    response = as_user(world.bob).get(reverse(name), params)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "Content-Disposition" not in response
    assert response.context["errors"]
    assert response.context["errors"][0] in response.content.decode()
    assert AuditEntry.objects.count() == before


def test_a_closed_community_is_an_unknown_one_to_an_outsider(as_user, world, topics):
    response = get_csv(as_user(world.charlie), community=world.isac.id)
    assert response.status_code == 400
    assert response.context["errors"] == [f"Unknown community: {world.isac.id}."]
    assert "ISAC" not in response.content.decode()


def test_export_needs_sign_in(client, world):
    response = client.get(reverse("communities:export_csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- audit -----------------------------------------------------------------------------------

def test_every_export_is_in_the_audit_log(as_user, world, topics):
    client = as_user(world.bob)
    response = get_csv(client, q="ISAC", confined=1, page=2, junk="x")
    start = AuditEntry.objects.get(action="topics.export")
    assert start.actor == world.bob
    assert start.detail == {"format": "csv", "params": {"q": ["ISAC"], "confined": ["1"]},
                            "confined": True}
    assert not AuditEntry.objects.filter(action="topics.export.done").exists()
    b"".join(response.streaming_content)
    done = AuditEntry.objects.get(action="topics.export.done")
    assert done.detail == {"export": start.pk, "format": "csv", "rows": 1, "finished": True}

    as_user(world.bob).get(reverse("communities:export_xlsx"))
    entries = AuditEntry.objects.filter(action__startswith="topics.export").order_by("pk")
    assert [e.detail["format"] for e in entries] == ["csv", "csv", "xlsx", "xlsx"]
    assert entries.last().detail["rows"] == 2
    assert entries[2].detail["confined"] is False


def test_a_download_cut_short_is_recorded_as_unfinished(world, topics):
    """What the server does when the browser goes away: it closes the stream mid-way."""
    wanted = export.parse_export_request({}, world.bob)
    labels = export.labels_for(world.bob, "https://renkei.example/topics/")
    counter = export.ExportCounter(world.bob, export.CSV, wanted, None)
    pieces = export.csv_pieces(export.export_rows(world.bob, wanted, labels), labels,
                               confined=False, counter=counter)
    assert next(pieces).startswith(BOM)
    pieces.close()
    done = AuditEntry.objects.get(action="topics.export.done")
    assert done.detail["finished"] is False and done.detail["export"] == counter.entry.pk


# --- XLSX ------------------------------------------------------------------------------------

def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = []
    for row in workbook.active.iter_rows(values_only=True):
        cells = ["" if v is None else v for v in row]
        while cells and cells[-1] == "":  # openpyxl pads short rows to the widest one
            cells.pop()
        rows.append(tuple(cells))
    return rows


def test_xlsx_holds_the_same_rows_as_the_csv(as_user, world, topics, post):
    post(world.alice, world.isac, "=1+1")
    client = as_user(world.bob)
    response = client.get(reverse("communities:export_xlsx"), {"confined": 1})
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="renkei-topics-' in response["Content-Disposition"]
    sheet = xlsx_rows(response)
    lines = csv_lines(get_csv(client, confined=1))
    assert sheet[0] == (NOTICE_EN,)
    assert [[str(v) for v in row] for row in sheet[1:]] == lines[1:]
    assert len(sheet) == 2 + 5
    # The formula is text, the numbers are numbers.
    assert sheet[2][1] == "'=1+1"
    assert sheet[2][10:14] == (0, 0, 0, 0)


def test_xlsx_drops_characters_xml_cannot_hold(as_user, world, post):
    post(world.alice, world.isac, "制御\x07文字")
    sheet = xlsx_rows(as_user(world.alice).get(reverse("communities:export_xlsx")))
    assert sheet[1][1] == "制御文字"


def test_xlsx_without_confined_rows_has_no_notice(as_user, world, topics):
    sheet = xlsx_rows(as_user(world.charlie).get(reverse("communities:export_xlsx")))
    assert sheet[0][0] == "Topic ID"
    assert [row[0] for row in sheet[1:]] == [topics["general"].public_id]


# --- the links on the pages ------------------------------------------------------------------

def test_the_community_page_exports_its_own_community(as_user, world, topics):
    client = as_user(world.bob)
    content = client.get(reverse("communities:detail", args=[world.isac.id])).content.decode()
    csv_link = f'{reverse("communities:export_csv")}?community={world.isac.id}'
    assert csv_link in content
    assert f"{csv_link}&amp;confined=1" in content
    ids = ids_of(csv_lines(get_csv(client, community=world.isac.id)))
    assert ids == [topics["isac"].public_id]


def test_the_links_carry_the_search_parameters(rf, world):
    from django.template.loader import render_to_string

    request = rf.get("/topics/", {"q": "脆弱性", "tlp": ["green", "amber"], "page": "3"})
    request.user = world.bob
    html = render_to_string("communities/_export_links.html", {}, request=request)
    query = "q=%E8%84%86%E5%BC%B1%E6%80%A7&amp;tlp=green&amp;tlp=amber"
    assert f'{reverse("communities:export_csv")}?{query}"' in html
    assert f'{reverse("communities:export_xlsx")}?{query}"' in html
    assert f'{reverse("communities:export_csv")}?{query}&amp;confined=1"' in html
    assert "page=" not in html


def test_the_search_page_links_to_an_export_of_the_same_search(as_user, world, topics, post):
    post(world.commander, world.general, "ランサムウェアの注意")
    client = as_user(world.bob)
    content = client.get(reverse("communities:search"), {"q": "ランサムウェア", "sort": "created"}
                         ).content.decode()
    match = re.search(r'href="(/topics/export\.csv\?[^"]*)"', content)
    assert match, "no CSV link on the search page"
    response = client.get(html.unescape(match.group(1)))
    assert [row[1] for row in csv_lines(response)[1:]] == ["ランサムウェアの注意"]
