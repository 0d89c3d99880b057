"""Each feed's raw table, core table and comments come from its declaration: the committed SQL is current, it
leaves the tables the migrations made as they were, and it runs again (adding columns) only when it changed."""

from __future__ import annotations

import duckdb
import pytest

from quality_pipeline.feeds import all_feeds
from quality_pipeline.feeds.schema import main, render, sql_path, stale
from quality_pipeline.warehouse.feed_schema import FeedSchemaStale, apply_feed_schema, build
from quality_pipeline.warehouse.migrations import MIGRATIONS_DIR, available, migrate
from tests.support.feeds import generate, own_feeds

CATALOG = """
    SELECT schema_name, table_name, column_index, column_name, data_type, is_nullable, comment
    FROM duckdb_columns() WHERE schema_name IN ('raw', 'core')
    UNION ALL SELECT schema_name, table_name, NULL, NULL, NULL, NULL, comment FROM duckdb_tables()
    WHERE schema_name IN ('raw', 'core')
    UNION ALL SELECT schema_name, view_name, NULL, NULL, NULL, NULL, comment FROM duckdb_views()
    WHERE schema_name IN ('raw', 'core')
    ORDER BY ALL
"""


def test_the_committed_feed_sql_is_what_the_declarations_produce():
    assert stale() == [], "run `make generate` and commit warehouse/feeds/"
    assert main(["--check"]) == 0


def test_the_check_fails_on_a_missing_or_edited_file(tmp_path):
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert main(["--dir", str(tmp_path)]) == 0 and main(["--check", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "water_quality.sql"
    path.write_text(path.read_text(encoding="utf-8").replace("DOUBLE", "FLOAT", 1), encoding="utf-8")
    assert main(["--check", "--dir", str(tmp_path)]) == 1


def test_on_a_warehouse_the_migrations_made_it_changes_nothing_but_keeps_every_row(tmp_path):
    """V002 made the feed tables, V006 commented them, V009 added withdrawals and V011 made core.* tables by hand:
    the generated SQL must agree to the letter, and the current versions of the old views are kept."""
    old = tmp_path / "migrations"
    old.mkdir()
    for version, _, path in available():
        if version <= 9:  # the hand-written ones, before V010 made the feeds' SQL the source
            (old / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    con = duckdb.connect()
    migrate(con, old)
    con.execute("INSERT INTO raw.water_quality (point_id, sample_date, _file_id, _run_id, _delivery_seq, _row_number, "
                "_loaded_at) VALUES ('P1', DATE '2026-05-01', 1, 'r', 1, 2, now()), "
                "('P1', DATE '2026-05-01', 2, 'r', 2, 2, now())")
    migrate(con, MIGRATIONS_DIR)
    before = con.execute(CATALOG).fetchall()
    assert con.execute("SELECT _file_id FROM core.water_quality").fetchall() == [(2,)]  # the view's rows, kept
    assert sorted(apply_feed_schema(con)) == sorted(f.name for f in all_feeds())
    assert con.execute(CATALOG).fetchall() == before
    assert con.execute("SELECT _file_id FROM core.water_quality").fetchall() == [(2,)]


def test_a_core_view_of_a_feed_declared_elsewhere_becomes_a_table_of_its_current_versions(tmp_path, monkeypatch):
    """A feed outside the repository had its core view made by its generated SQL (before V011): the new SQL
    drops the view in its transaction and builds the table from raw."""
    own_feeds(tmp_path, monkeypatch)
    con = duckdb.connect()
    build(con)
    con.execute("DROP TABLE core.water_quality")
    con.execute("CREATE VIEW core.water_quality AS SELECT * EXCLUDE (_withdrawn) FROM raw.water_quality WHERE false")
    con.execute("INSERT INTO raw.water_quality (point_id, sample_date, _file_id, _run_id, _delivery_seq, _row_number, "
                "_loaded_at) VALUES ('P1', DATE '2026-05-01', 1, 'r', 1, 2, now()), "
                "('P1', DATE '2026-05-01', 2, 'r', 2, 2, now())")
    con.execute("DELETE FROM meta.feed_schema WHERE feed = 'water_quality'")
    assert apply_feed_schema(con) == ["water_quality"]
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'water_quality'").fetchone() == (0,)
    assert con.execute("SELECT _file_id FROM core.water_quality").fetchall() == [(2,)]


def test_it_runs_once_and_again_only_for_the_feed_whose_declaration_changed(tmp_path, monkeypatch):
    folder = own_feeds(tmp_path, monkeypatch)
    con = duckdb.connect()
    build(con)
    assert apply_feed_schema(con) == []
    declaration = folder / "water_quality.yaml"
    declaration.write_text(declaration.read_text(encoding="utf-8") + (
        "  - {name: cod_mg_l, type: number, units: mg_per_litre, header: 化学需氧量(mg/L), aliases: [COD], min: 0, "
        'en: "Chemical oxygen demand, mg/L."}\n'), encoding="utf-8")
    with pytest.raises(FeedSchemaStale, match="make generate"):
        apply_feed_schema(con)  # the declaration changed, its SQL was not regenerated
    generate()
    assert apply_feed_schema(con) == ["water_quality"]
    for schema in ("raw", "core"):
        assert con.execute(
            "SELECT data_type, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = 'water_quality' "
            "AND column_name = 'cod_mg_l'", [schema]).fetchall() == [
            ("DOUBLE", "化学需氧量(mg/L) / Chemical oxygen demand, mg/L. 规则：须为数值；范围 ≥ 0 / Rules: must parse as "
                       "number; range ≥ 0.")]
    assert apply_feed_schema(con) == []
    assert con.execute("SELECT checksum FROM meta.feed_schema WHERE feed = 'water_quality'").fetchone() != (None,)


def test_a_feed_without_its_sql_file_is_refused(tmp_path, monkeypatch):
    own_feeds(tmp_path, monkeypatch)
    sql_path("product_sampling").unlink()
    con = duckdb.connect()
    migrate(con)
    with pytest.raises(FeedSchemaStale, match="product_sampling"):
        apply_feed_schema(con)


@pytest.mark.parametrize("feed", all_feeds(), ids=lambda f: f.name)
def test_every_declared_column_is_in_the_table_and_commented_in_both_languages(feed):
    text = render(feed)
    for col in feed.columns:
        assert f"COMMENT ON COLUMN raw.{feed.name}.{col.name} IS '{col.header} / {col.en}" in text
        assert f"COMMENT ON COLUMN core.{feed.name}.{col.name} IS '{col.header} / {col.en}" in text


@pytest.mark.parametrize(("change", "refusal"), [
    (("title_en: water quality", "title_en: water quality\nname: wq"), "unknown keys"),
    ((', en: "Water depth, cm."', ""), "without an English description"),
    (("feed: water_quality", "feed: water"), "name the file after the feed"),
])
def test_a_declaration_that_would_leave_a_gap_is_refused(tmp_path, monkeypatch, change, refusal):
    from quality_pipeline.feeds import FEEDS_DIR, load_feed

    text = (FEEDS_DIR / "water_quality.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / "water_quality.yaml").write_text(text.replace(*change), encoding="utf-8")
    monkeypatch.setenv("QUALITY_FEEDS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=refusal):
        load_feed("water_quality")


def test_declarations_read_by_libyaml_are_those_pyyaml_reads():
    """The declarations are read with libyaml's parser where PyYAML has it (`feeds._yaml`): the same data."""
    import yaml

    from quality_pipeline.feeds import FEEDS_DIR, _yaml

    files = sorted(FEEDS_DIR.glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _yaml(text) == yaml.safe_load(text), path.name
