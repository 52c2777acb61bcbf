"""Topic search: Japanese substrings, widths, comments and file names, bad input, filters, order,
the page. Every test runs the same on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from renkei.communities import search_index
from renkei.communities import services as community_services
from renkei.communities.models import Topic, TopicSearchEntry
from renkei.communities.search import (
    TopicQuery,
    parse_topic_query,
    search_terms,
    search_topics,
)
from renkei.errors import ServiceError

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def found(user, **params) -> list[str]:
    """Titles of the topics a search finds, in its order."""
    query = parse_topic_query(params, user)
    return [topic.title for topic in search_topics(user, query)]


def refused(user, **params) -> list[str]:
    with pytest.raises(ServiceError) as caught:
        parse_topic_query(params, user)
    return caught.value.messages


@pytest.fixture
def news(world, post):
    """Topics in the closed ISAC that Alice and Bob read and Charlie does not."""
    post(world.alice, world.isac, "【注意喚起】ランサムウェアによる被害の拡大について",
         body="複数の組織でファイルが暗号化された。")
    post(world.alice, world.isac, "SNS上の偽ライブ配信に関する注意",
         body="有名人を装う偽ライブ配信で暗号資産をだまし取る手口。")
    post(world.alice, world.isac, "大規模なＤＤｏＳ攻撃の観測",
         body="複数の事業者でDDoS攻撃を観測した。")
    post(world.alice, world.isac, "Microsoft Exchange Server の更新",
         body="Exchange の脆弱性 (CVE-2021-26855) が悪用されている。")
    post(world.alice, world.isac, "定例会の日程", body="次回は10月です。")
    return world


# --- Japanese, mixed, widths -----------------------------------------------------------------

@pytest.mark.parametrize("q, titles", [
    ("ランサムウェア", ["【注意喚起】ランサムウェアによる被害の拡大について"]),
    ("サムウ", ["【注意喚起】ランサムウェアによる被害の拡大について"]),
    ("偽ライブ配信", ["SNS上の偽ライブ配信に関する注意"]),
    ("DDoS攻撃", ["大規模なＤＤｏＳ攻撃の観測"]),
    ("脆弱性", ["Microsoft Exchange Server の更新"]),
    ("Exchange", ["Microsoft Exchange Server の更新"]),
    ("暗号", ["SNS上の偽ライブ配信に関する注意",
              "【注意喚起】ランサムウェアによる被害の拡大について"]),
    ("注意", ["SNS上の偽ライブ配信に関する注意",
              "【注意喚起】ランサムウェアによる被害の拡大について"]),
    ("cve-2021-26855", ["Microsoft Exchange Server の更新"]),
    ("ランサムウェア 拡大", ["【注意喚起】ランサムウェアによる被害の拡大について"]),
    ("ランサムウェア 観測", []),
    ("ウェアラブル", []),
])
def test_japanese_and_mixed_terms_find_substrings(news, q, titles):
    assert sorted(found(news.alice, q=q)) == sorted(titles)


@pytest.mark.parametrize("q", ["ＤＤｏＳ", "ddos", "DDOS", "ＤＤＯＳ攻撃", "ｄｄｏｓ攻撃"])
def test_full_and_half_width_and_case_match(news, q):
    # The title is written in full width, the body in half width: both are found either way.
    assert found(news.alice, q=q) == ["大規模なＤＤｏＳ攻撃の観測"]


def test_half_width_katakana_is_katakana(news):
    assert found(news.alice, q="ﾗﾝｻﾑｳｪｱ") == ["【注意喚起】ランサムウェアによる被害の拡大について"]


def test_exchange_in_title_and_body_is_one_topic(news):
    assert found(news.alice, q="exchange") == ["Microsoft Exchange Server の更新"]


def test_one_character_words_stay_with_their_neighbour(news, post):
    post(news.alice, news.isac, "Windows 7 のサポート終了")
    post(news.alice, news.isac, "Windows 10 の更新と 7 つの注意点")
    assert search_terms("Windows 7") == ["windows 7"]
    assert search_terms("a Windows b c") == ["a windows b c"]
    assert found(news.alice, q="Windows 7") == ["Windows 7 のサポート終了"]


# --- comments, files, edits, the services keep the index in step -----------------------------

def test_comments_and_attachment_names_are_found(news, post):
    topic = post(news.alice, news.isac, "観測報告", attachments=[
        SimpleUploadedFile("IoCリスト_標的型メール.csv", b"a,b\n", content_type="text/csv")])
    community_services.add_comment(actor=news.bob, topic=topic, body="追加でマルウェア検体を確認。",
                                   attachments=[SimpleUploadedFile("検体ハッシュ.txt", b"x")])
    assert found(news.alice, q="標的型") == ["観測報告"]
    assert found(news.alice, q="マルウェア検体") == ["観測報告"]
    assert found(news.alice, q="ハッシュ") == ["観測報告"]
    assert found(news.alice, q=".csv") == ["観測報告"]


def test_an_edit_replaces_what_is_found(news):
    topic = Topic.objects.get(title="定例会の日程")
    community_services.edit_topic(actor=news.alice, topic=topic, title="臨時会合の日程",
                                  body="次回は11月です。", kind=topic.kind)
    assert found(news.alice, q="定例会") == []
    assert found(news.alice, q="臨時会合") == ["臨時会合の日程"]
    assert found(news.alice, q="11月") == ["臨時会合の日程"]
    assert found(news.alice, q="10月") == []


def test_a_reshared_copy_is_found_in_its_community(news, post):
    topic = post(news.commander, news.general, "全体向け注意喚起", attachments=[
        SimpleUploadedFile("手順書.pdf", b"%PDF-1.4\n")])
    copy = community_services.reshare_topic(actor=news.alice, topic=topic, community=news.isac)
    query = TopicQuery(q="手順書", community_ids=(news.isac.id,))
    assert list(search_topics(news.alice, query)) == [copy]


def test_long_bodies_are_found_everywhere_on_both_databases(news, post):
    # Past the first piece of a long body (the pieces overlap, so nothing falls between them).
    filler = "あ" * (search_index.PIECE - 3)
    post(news.alice, news.isac, "長文", body=filler + "境目の語句" + "い" * 25_000 + "最後の語句")
    assert found(news.alice, q="境目の語句") == ["長文"]
    assert found(news.alice, q="最後の語句") == ["長文"]
    assert TopicSearchEntry.objects.filter(field="body", text__contains="最後").count() == 1


def test_rebuild_command_indexes_topics_written_directly(news):
    topic = Topic.objects.create(
        public_id="20260101-999999", community=news.isac, title="直接書き込まれた標的型攻撃",
        kind="advisory", author=news.alice, author_organisation=news.alpha)
    assert found(news.alice, q="直接書き") == []
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))
    assert found(news.alice, q="直接書き") == [topic.title]
    assert found(news.alice, q="ランサムウェア") == [
        "【注意喚起】ランサムウェアによる被害の拡大について"]  # rebuilt, not doubled


# --- what others may not read stays out ------------------------------------------------------

def test_search_never_shows_unreadable_topics(news, post):
    post(news.commander, news.general, "全員向けのランサムウェア情報")
    assert found(news.charlie, q="ランサムウェア") == ["全員向けのランサムウェア情報"]
    assert len(found(news.bob, q="ランサムウェア")) == 2


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["a", "攻", " x ", "Ａ"])
def test_one_character_is_refused_with_a_message(news, q):
    messages = refused(news.alice, q=q)
    assert len(messages) == 1 and "2文字以上" in messages[0], messages


def test_five_thousand_characters_are_refused_with_a_message(news):
    messages = refused(news.alice, q="攻撃" * 2500)
    assert len(messages) == 1 and "200文字以内" in messages[0] and "5000文字" in messages[0]


def test_too_many_words_are_refused(news):
    assert refused(news.alice, q=" ".join(["ab"] * 9))


def test_a_query_built_by_hand_is_checked_too(news):
    with pytest.raises(ServiceError):
        list(search_topics(news.alice, TopicQuery(q="a")))
    with pytest.raises(ServiceError):
        list(search_topics(news.alice, TopicQuery(q="x" * 300)))


LITERAL_TITLES = [
    "進捗100%達成", "50% off のフィッシング", 'say "hello" to 攻撃者', "NEAR miss 事例",
    "A OR B の判断", r"C:\temp\evil のパス", "(括弧) 付き", "ハイフン-区切り", "星*印",
    "it's a trap", "セミコロン; DROP TABLE topics", "AND NOT 演算子", "col:umn 記法",
    "{title}: 列指定", "^先頭", "下線_文字",
]


@pytest.mark.parametrize("q", [
    '"', '""', "*", "**", "NEAR", "NEAR(", "NEAR(a b)", "OR", "A OR B", "%", "100%", "0%", "%%",
    "\\", "\\t", r"C:\temp", "(", "()", "(括弧)", "-", "-区切り", "'", "it's", "' OR 1=1 --",
    "; DROP TABLE topics", "AND NOT", "col:", "{title}:", "title:", "^先", "_文", "星*",
    '"hello"', "e\u0000vil", "\u200b\u200b", "攻撃者\" OR \"",
])
def test_query_syntax_is_taken_literally(news, post, q):
    for title in LITERAL_TITLES:
        post(news.alice, news.isac, title)
    needle = search_index.normalise(q)
    texts = {t.title: (search_index.normalise(t.title), search_index.normalise(t.body))
             for t in Topic.objects.all()}
    try:
        got = found(news.alice, q=q)
    except ServiceError as exc:
        # Only too-short input may be refused; never anything else, never a crash.
        assert len(needle.replace(" ", "")) < 2, exc.messages
        return
    want = [title for title, (norm_title, norm_body) in texts.items()
            if all(term in norm_title or term in norm_body for term in search_terms(q))]
    assert sorted(got) == sorted(want)
    assert Topic.objects.count() == len(texts)  # nothing dropped, nothing changed


def test_percent_title_is_found_by_its_literal_text(news, post):
    post(news.alice, news.isac, "進捗100%達成")
    post(news.alice, news.isac, "進捗1000達成")
    assert found(news.alice, q="100%") == ["進捗100%達成"]
    assert found(news.alice, q="%達") == ["進捗100%達成"]


@pytest.mark.parametrize("params, message", [
    ({"kind": "gossip"}, "情報の種類"),
    ({"tag": "urgent"}, "タグ"),
    ({"tlp": "purple"}, "TLP"),
    ({"level": "expert"}, "対象読者"),
    ({"org": "abc"}, "組織"),
    ({"org": "999999"}, "組織"),
    ({"community": "x1"}, "コミュニティ"),
    ({"community": "999999"}, "コミュニティ"),
    ({"from": "2026-02-30"}, "日付"),
    ({"to": "20260101"}, "日付"),
    ({"from": "0001-01-01"}, "日付"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "開始日"),
    ({"acked": "maybe"}, "maybe"),
    ({"sort": "random"}, "並び順"),
])
def test_unknown_filter_values_are_refused(news, params, message):
    messages = refused(news.alice, **params)
    assert len(messages) == 1 and message in messages[0], messages


def test_a_community_one_cannot_read_is_as_unknown_as_a_missing_one(news):
    hidden = refused(news.charlie, community=str(news.isac.id))
    missing = refused(news.charlie, community="999999")
    assert hidden == [missing[0].replace("999999", str(news.isac.id))]
    assert "不明なコミュニティ" in missing[0]


def test_every_problem_is_reported_at_once(news):
    assert len(refused(news.alice, q="a", kind="x", tlp="y")) == 3


def test_a_query_dict_with_repeated_values_is_read(news, rf):
    request = rf.get("/topics/", {"kind": ["advisory", "incident"], "q": "注意"})
    query = parse_topic_query(request.GET, news.alice)
    assert query.kinds == ("advisory", "incident") and query.q == "注意"


# --- filters ---------------------------------------------------------------------------------

@pytest.fixture
def varied(world, post):
    w = world
    jan = datetime(2026, 1, 10, 12, tzinfo=TOKYO)
    w.t_vuln = post(w.alice, w.isac, "脆弱性A", kind="vulnerability", tlp="amber",
                    tag="important", now=jan)
    w.t_pro = post(w.alice, w.isac, "脆弱性B", kind="incident", reader_level="pro",
                   tag="caution", now=jan + timedelta(days=1))
    w.t_bob = post(w.bob, w.isac, "脆弱性C", kind="malware", now=jan + timedelta(days=2))
    # 23:30 on 1 February in Tokyo is still 1 February there (14:30 UTC).
    w.t_late = post(w.alice, w.isac, "脆弱性D", now=datetime(2026, 2, 1, 23, 30, tzinfo=TOKYO))
    w.t_next = post(w.alice, w.isac, "脆弱性E", now=datetime(2026, 2, 2, 0, 10, tzinfo=TOKYO))
    w.t_general = post(w.commander, w.general, "脆弱性F", now=jan)
    community_services.acknowledge(actor=w.alice, topic=w.t_bob)
    return w


def titles(topics) -> set[str]:
    return {t.title for t in topics}


@pytest.mark.parametrize("params, want", [
    ({"kind": "vulnerability"}, {"脆弱性A"}),
    ({"kind": ["vulnerability", "malware"]}, {"脆弱性A", "脆弱性C"}),
    ({"tag": "important"}, {"脆弱性A"}),
    ({"tag": "none"}, {"脆弱性C", "脆弱性D", "脆弱性E", "脆弱性F"}),
    ({"tlp": "TLP:AMBER"}, {"脆弱性A"}),
    ({"level": "pro"}, {"脆弱性B"}),
    ({"acked": "yes"}, {"脆弱性C"}),
    ({"acked": "no"}, {"脆弱性A", "脆弱性B", "脆弱性D", "脆弱性E", "脆弱性F"}),
    ({"from": "2026-02-01", "to": "2026-02-01"}, {"脆弱性D"}),
    ({"from": "2026-02-02"}, {"脆弱性E"}),
    ({"to": "2026-01-10"}, {"脆弱性A", "脆弱性F"}),
])
def test_each_filter_works(varied, params, want):
    assert set(found(varied.alice, q="脆弱性", **params)) == want
    assert set(found(varied.alice, **params)) == want  # with and without a keyword


def test_community_and_organisation_filters(varied):
    w = varied
    assert set(found(w.alice, community=str(w.general.id))) == {"脆弱性F"}
    assert set(found(w.alice, org=str(w.beta.id))) == {"脆弱性C"}
    assert set(found(w.alice, org=[str(w.beta.id), str(w.centre.id)])) == {"脆弱性C", "脆弱性F"}


# --- order -----------------------------------------------------------------------------------

def test_title_hits_come_first_then_recency(world, post):
    base = timezone.now() - timedelta(days=10)
    post(world.alice, world.isac, "古いランサムウェア情報", now=base)
    post(world.alice, world.isac, "新しい報告", body="ランサムウェアの話",
         now=base + timedelta(days=2))
    post(world.alice, world.isac, "中間のランサムウェア", now=base + timedelta(days=1))
    post(world.alice, world.isac, "最新の報告", body="ランサムウェア", now=base + timedelta(days=3))
    assert found(world.alice, q="ランサムウェア") == [
        "中間のランサムウェア", "古いランサムウェア情報", "最新の報告", "新しい報告"]
    assert found(world.alice, q="ランサムウェア", sort="updated") == [
        "最新の報告", "新しい報告", "中間のランサムウェア", "古いランサムウェア情報"]


def test_sort_orders(world, post):
    base = timezone.now() - timedelta(days=10)
    a = post(world.alice, world.isac, "順序A", now=base)
    b = post(world.alice, world.isac, "順序B", now=base + timedelta(days=1))
    c = post(world.alice, world.isac, "順序C", now=base + timedelta(days=2))
    community_services.add_comment(actor=world.bob, topic=a, body="更新")  # A: latest activity
    for reader in (world.bob, world.alice2):
        community_services.acknowledge(actor=reader, topic=b)
    community_services.acknowledge(actor=world.bob, topic=c)
    assert found(world.alice, q="順序") == ["順序A", "順序C", "順序B"]  # all title hits: recency
    assert found(world.alice, q="順序", sort="updated") == ["順序A", "順序C", "順序B"]
    assert found(world.alice, q="順序", sort="created") == ["順序C", "順序B", "順序A"]
    assert found(world.alice, q="順序", sort="acks") == ["順序B", "順序C", "順序A"]
    assert found(world.alice, sort="created")[:3] == ["順序C", "順序B", "順序A"]


# --- the machinery ---------------------------------------------------------------------------

def test_the_database_full_text_index_does_the_matching(news):
    with CaptureQueriesContext(connection) as queries:
        found(news.alice, q="ランサム")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "LIKE" not in sql.upper()
    if connection.vendor == "postgresql":
        assert "@@" in sql and "::tsquery" in sql
    else:
        assert f"{search_index.FTS_TABLE} MATCH" in sql


def test_postgresql_uses_the_gin_index(news):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = search_index.topic_ids_sql("ランサム")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{search_index.ENTRY_TABLE}_bigrams" in plan, plan


def test_tricky_characters_survive_the_index(news, post):
    # Quotes, backslashes and the query languages' operators inside indexed pairs.
    title = "x'\\y\"z:*&|!<->()"
    post(news.alice, news.isac, title)
    for q in ["x'", "'\\", "\\y", "y\"", "z:*", ":*&", "|!", "<->", "()", title]:
        assert found(news.alice, q=q) == [title], q


# --- the pages -------------------------------------------------------------------------------

def test_the_search_page_shows_totals_and_results(news, as_user, post):
    for n in range(23):
        post(news.alice, news.isac, f"標的型メール訓練 {n}")
    client = as_user(news.alice)
    response = client.get(reverse("communities:search"), {"q": "標的型"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "1–20 of 23" in body
    assert "標的型メール訓練 22" in body and "標的型メール訓練 0" not in body
    assert reverse("communities:export_csv") + "?q=" in body
    second = client.get(reverse("communities:search"),
                        {"q": "標的型", "page": "2"}).content.decode()
    assert "21–23 of 23" in second and "標的型メール訓練 0" in second


def test_the_search_page_speaks_japanese_totals(news, client, post):
    client.force_login(news.alice)
    response = client.get(reverse("communities:search"), {"q": "注意"})
    assert "2件中 1〜2" in response.content.decode()


def test_the_search_page_refuses_bad_input_with_a_message(news, as_user):
    client = as_user(news.alice)
    response = client.get(reverse("communities:search"), {"q": "a"})
    assert response.status_code == 400
    assert "Search for at least 2 characters." in response.content.decode()
    response = client.get(reverse("communities:search"), {"q": "攻" * 5000, "kind": "zzz"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "at most 200 characters" in body and "Unknown kind of information: zzz." in body


def results_part(body: str) -> str:
    """The search page after its form and before the footer: where results are listed."""
    after_form = body.split('role="search"', 1)[1].split("</form>", 1)[1]
    return after_form.split("<footer", 1)[0]


def test_the_search_page_hides_unreadable_topics(news, as_user):
    response = as_user(news.charlie).get(reverse("communities:search"), {"q": "ランサムウェア"})
    assert response.status_code == 200
    assert "ランサムウェア" not in results_part(response.content.decode())
    response = as_user(news.bob).get(reverse("communities:search"), {"q": "ランサムウェア"})
    assert "ランサムウェア" in results_part(response.content.decode())


def test_the_search_page_without_query_lists_everything_readable(news, as_user):
    response = as_user(news.bob).get(reverse("communities:search"))
    assert "1–5 of 5" in response.content.decode()


def test_the_menu_links_to_search(news, as_user):
    body = as_user(news.alice).get(reverse("communities:home")).content.decode()
    assert f'href="{reverse("communities:search")}"' in body


def test_the_community_keyword_box_searches_bodies_and_comments(news, as_user):
    topic = Topic.objects.get(title="定例会の日程")
    community_services.add_comment(actor=news.bob, topic=topic, body="場所はオンライン会議です")
    client = as_user(news.alice)
    url = reverse("communities:detail", args=[news.isac.id])
    body = client.get(url, {"q": "オンライン"}).content.decode()
    assert "定例会の日程" in body and "ランサムウェア" not in body
    assert "1–1 of 1" in body
    response = client.get(url, {"q": "x"})
    assert response.status_code == 400
    assert "Search for at least 2 characters." in response.content.decode()


@pytest.mark.parametrize("q", ["ランサムウェア", "注意", "攻撃 観測", "ＤＤｏＳ"])
def test_the_page_lists_the_same_topics_in_the_same_order(news, post, as_user, q):
    """The page reads two lists (title hits, then the others); together they are search_topics."""
    post(news.alice, news.isac, "観測メモ", body="ランサムウェアと注意点。DDoS攻撃の観測も。")
    community_services.add_comment(actor=news.bob, topic=Topic.objects.get(title="定例会の日程"),
                                   body="ランサムウェア対策の注意を議題に")
    response = as_user(news.alice).get(reverse("communities:search"), {"q": q})
    shown = [topic.title for topic in response.context["page"].object_list]
    assert shown == found(news.alice, q=q)
    assert response.context["page"].count == len(shown)
