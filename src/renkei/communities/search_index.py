"""The full-text index of topics: character bigrams, kept in step by the services.

Japanese has no spaces between words, so word tokenizers cannot find ランサム inside
ランサムウェア. Instead every searchable text of a topic (its title, body, each comment, each
attachment name) is normalised (NFKC + casefold, so ＤＤｏＳ = DDoS) and indexed by its pairs
of neighbouring characters. A search term of n >= 2 characters is found by its n-1 pairs:

- SQLite: an FTS5 table holds each text as a sequence of pair tokens; the term is one FTS5
  phrase of its pairs, which matches exactly where the term occurs in the text.
- PostgreSQL: a tsvector of the text's distinct pairs with a GIN index finds the texts holding
  every pair of the term; `strpos` on the normalised text then keeps those that really contain
  it (tsvector positions stop at 16,383 and 256 per lexeme, so phrases would miss matches in
  long bodies).

Both answer "the normalised term occurs in the normalised text", so both databases return the
same topics. Long texts are cut into overlapping pieces so that no piece grows past what a
tsvector holds (1 MB); a term up to TERM_MAX characters always lies whole inside one piece.

The user's text never reaches either query language: SQLite tokens are hexadecimal code points,
PostgreSQL lexemes are quoted, and everything travels as bound parameters.
"""

import re
import unicodedata
from collections.abc import Iterable

from django.apps import apps as installed_apps
from django.db import connection, transaction

ENTRY_TABLE = "communities_topicsearchentry"
FTS_TABLE = "communities_topicsearch_fts"
TERM_MAX = 600
PIECE = 10_000
# At most this many pairs go into PostgreSQL's index lookup; the exact check does the rest.
PG_PAIRS = 12
BATCH = 500

TITLE, BODY, COMMENT, FILE = "title", "body", "comment", "file"

# Invisible format characters (soft hyphen, zero-width space/joiners, direction marks, BOM) and
# lone surrogates are dropped; control characters (newline, tab, NUL…) become spaces.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def normalise(text: str) -> str:
    """The form both the index and the queries use: NFKC, casefolded, one space between words."""
    text = _INVISIBLE.sub("", text or "")
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(_CONTROL.sub(" ", text).split())


def pairs(text: str) -> list[str]:
    """The neighbouring character pairs of a normalised text, in order, repeats kept."""
    return [text[i:i + 2] for i in range(len(text) - 1)]


def pieces(text: str) -> list[str]:
    """A long text as overlapping pieces: any TERM_MAX characters lie whole in one of them."""
    if len(text) <= PIECE + TERM_MAX:
        return [text]
    return [text[start:start + PIECE + TERM_MAX] for start in range(0, len(text) - TERM_MAX,
                                                                    PIECE)]


# --- writing ---------------------------------------------------------------------------------

def _fts_tokens(text: str) -> str:
    # Hexadecimal code points joined by "g": plain ASCII words that FTS5's tokenizer keeps whole
    # whatever the characters were (quotes, %, *, spaces…).
    return " ".join(f"{ord(a):x}g{ord(b):x}" for a, b in pairs(text))


def _write_sqlite(cursor, rows: list[tuple[int, str, str]]) -> None:
    for topic_id, field, text in rows:
        cursor.execute(f"INSERT INTO {ENTRY_TABLE} (topic_id, field, text) VALUES (%s, %s, %s)",
                       [topic_id, field, text])
        cursor.execute(f"INSERT INTO {FTS_TABLE} (rowid, tokens) VALUES (%s, %s)",
                       [cursor.lastrowid, _fts_tokens(text)])


def _write_postgresql(cursor, rows: list[tuple[int, str, str]]) -> None:
    cursor.executemany(
        f"INSERT INTO {ENTRY_TABLE} (topic_id, field, text, bigrams) "
        "VALUES (%s, %s, %s, array_to_tsvector(%s::text[]))",
        [(topic_id, field, text, list(dict.fromkeys(pairs(text))))
         for topic_id, field, text in rows],
    )


def _write(cursor, texts: Iterable[tuple[int, str, str]]) -> None:
    """Index raw texts given as (topic id, field, text)."""
    rows = [(topic_id, field, piece) for topic_id, field, raw in texts
            for piece in pieces(normalise(raw))
            if len(piece) >= 2]  # shorter texts hold no pair, so no search can find them
    if rows:
        write = _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
        write(cursor, rows)


def _texts(topic_ids: list[int], apps) -> list[tuple[int, str, str]]:
    """(topic id, field, raw text) for every searchable text of the topics."""
    Topic = apps.get_model("communities", "Topic")
    Comment = apps.get_model("communities", "Comment")
    Attachment = apps.get_model("communities", "Attachment")
    texts = []
    for topic_id, title, body in Topic.objects.filter(id__in=topic_ids).values_list(
            "id", "title", "body"):
        texts += [(topic_id, TITLE, title), (topic_id, BODY, body)]
    texts += [(topic_id, COMMENT, body) for topic_id, body in
              Comment.objects.filter(topic_id__in=topic_ids).values_list("topic_id", "body")]
    texts += [(topic_id, FILE, name) for topic_id, name in
              Attachment.objects.filter(topic_id__in=topic_ids)
              .values_list("topic_id", "original_name")]
    return texts


def _remove(cursor, topic_ids: list[int]) -> None:
    # On SQLite a trigger (see the migration) removes the FTS5 rows of deleted entries.
    marks = ", ".join(["%s"] * len(topic_ids))
    cursor.execute(f"DELETE FROM {ENTRY_TABLE} WHERE topic_id IN ({marks})", topic_ids)


def index_topics(topic_ids: Iterable[int], apps=installed_apps) -> None:
    """(Re)index the topics from scratch; `apps` is the migration's registry inside one."""
    topic_ids = list(dict.fromkeys(topic_ids))
    for start in range(0, len(topic_ids), BATCH):
        batch = topic_ids[start:start + BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            _remove(cursor, batch)
            _write(cursor, _texts(batch, apps))


def index_topic(topic_id: int) -> None:
    """After a topic was posted or edited (title, body, files may all have changed)."""
    index_topics([topic_id])


def index_added(topic_id: int, *, comments: Iterable[str] = (),
                file_names: Iterable[str] = ()) -> None:
    """After a comment or files were added: only the new texts, not the whole topic again."""
    with transaction.atomic(), connection.cursor() as cursor:
        _write(cursor, [(topic_id, COMMENT, body) for body in comments]
               + [(topic_id, FILE, name) for name in file_names])


def rebuild(apps=installed_apps, progress=None) -> int:
    """Index every topic again, in batches; returns how many topics."""
    Topic = apps.get_model("communities", "Topic")
    done, last = 0, 0
    while True:
        batch = list(Topic.objects.filter(id__gt=last).order_by("id")
                     .values_list("id", flat=True)[:BATCH])
        if not batch:
            return done
        index_topics(batch, apps)
        done, last = done + len(batch), batch[-1]
        if progress:
            progress(done)


# --- searching -------------------------------------------------------------------------------

def _pg_lexeme(pair: str) -> str:
    # A quoted tsquery lexeme: the quote is doubled, the backslash escaped; nothing else is
    # special inside the quotes.
    return "'" + pair.replace("\\", "\\\\").replace("'", "''") + "'"


def _spread(items: list[str], most: int) -> list[str]:
    """At most `most` items, taken evenly from the start to the end."""
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def topic_ids_sql(term: str, *, title_only: bool = False) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of topics with a text containing `term`
    (normalised, 2..TERM_MAX characters); with `title_only`, the title must contain it."""
    title = f" AND e.field = '{TITLE}'" if title_only else ""
    if connection.vendor == "postgresql":
        lexemes = _spread(list(dict.fromkeys(pairs(term))), PG_PAIRS)
        tsquery = " & ".join(_pg_lexeme(p) for p in lexemes)
        if len(term) == 2:  # one pair: the index alone is exact
            return (f"SELECT e.topic_id FROM {ENTRY_TABLE} e WHERE e.bigrams @@ %s::tsquery"
                    f"{title}", [tsquery])
        return (
            f"SELECT e.topic_id FROM {ENTRY_TABLE} e WHERE e.bigrams @@ %s::tsquery "
            f"AND strpos(e.text, %s) > 0{title}",
            [tsquery, term],
        )
    return (
        f"SELECT e.topic_id FROM {ENTRY_TABLE} e WHERE e.id IN (SELECT rowid FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH %s){title}",
        ['"' + _fts_tokens(term) + '"'],
    )


# --- the tables beside the entries (run by the migration) ------------------------------------

def create_backend_index(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(tokens, tokenize = 'ascii')")
        schema_editor.execute(
            f"CREATE TRIGGER {ENTRY_TABLE}_fts_delete AFTER DELETE ON {ENTRY_TABLE} "
            f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END")
    elif vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {ENTRY_TABLE} ADD COLUMN bigrams tsvector")
        schema_editor.execute(
            f"CREATE INDEX {ENTRY_TABLE}_bigrams ON {ENTRY_TABLE} USING gin (bigrams)")
    else:
        raise NotImplementedError(f"topic search has no index for {vendor}")


def drop_backend_index(schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {ENTRY_TABLE}_fts_delete")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {ENTRY_TABLE} DROP COLUMN IF EXISTS bigrams")
