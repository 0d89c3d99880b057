"""Each indicator SQL file on small in-memory inputs, checked against hand-computed figures.

Rows go into `raw.<feed>` (and `core.<feed>` picks the newest delivery of each key, as a publish has it) and
the whole indicator computation runs, as the DAG runs it: SQL files, index, targets.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from quality_pipeline.feeds import load_feed
from quality_pipeline.indicators.compute import compute
from quality_pipeline.loading import current
from quality_pipeline.parsing.coerce import typed_frame
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_INDEX_FILE, DEFAULT_REGION_FILE

REGION = load_region(DEFAULT_REGION_FILE)
STREET_TARGET = 1000 / len(REGION.streets)
UNKNOWN_STREET = "外区某街道"
FAKE = "生产销售伪劣产品"
TRADEMARK = "假冒注册商标"


# --- building the warehouse -------------------------------------------------------------------


def load(con, feed: str, rows: list[dict], delivery_seq: int = 1) -> None:
    """Insert rows into raw.<feed> as one delivery, columns not given NULL, and bring core.<feed> up to date."""
    table = con.table("raw." + feed)
    for number, values in enumerate(rows, start=1):
        row = {"_file_id": delivery_seq, "_run_id": f"run-{delivery_seq}", "_delivery_seq": delivery_seq,
               "_row_number": number, "_loaded_at": dt.datetime(2026, 1, 1), **values}
        table.insert([row.get(column) for column in table.columns])
    current.refresh_file(con, load_feed(feed), delivery_seq)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def batch(no, date, conclusion, street=None, followup=None) -> dict:
    return {"sample_no": no, "sampling_date": day(date), "conclusion": conclusion, "street": street,
            "followup_status": followup, "product_category": "电工", "product_name": "插座", "inspected_unit": "甲"}


def inspection(no, date, officers, street=None, entities=None) -> dict:
    return {"inspection_no": no, "inspection_date": day(date), "officers": officers, "street": street,
            "entities": entities}


def case(no, date, violation_type="其他", street=None, **extra) -> dict:
    return {"case_no": no, "filing_date": day(date), "violation_type": violation_type, "street": street,
            "party_name": "某公司", **extra}


def report(project, month, planned, completed, actual_finish=None) -> dict:
    return {"project_no": project, "report_month": day(month + "-01"), "water_body": project + "涌",
            "planned_investment": planned, "completed_investment": completed,
            "actual_finish": day(actual_finish) if actual_finish else None}


CLEAN = {"transparency_cm": 40.0, "do_mg_l": 5.0, "orp_mv": 200.0, "nh3n_mg_l": 1.0, "depth_cm": 100.0}


def sample(body, point, date, **measures) -> dict:
    return {"water_body": body, "point_id": point, "sample_date": day(date), **{**CLEAN, **measures}}


def body_samples(body, n, black=(), month="2026-07", points=3, dates=None) -> list[dict]:
    """n samples of a body, cycling over `points` points on `dates` days (default one day each); those
    whose index is in `black` have a dissolved oxygen of 1.0 mg/L (black-odorous)."""
    dates = dates or n
    return [sample(body, f"{body}-{i % points + 1}", f"{month}-{i % dates + 1:02d}",
                   **({"do_mg_l": 1.0} if i in black else {})) for i in range(n)]


# --- reading the result -----------------------------------------------------------------------


def indicators(con) -> pd.DataFrame:
    return compute(con, REGION, DEFAULT_INDEX_FILE)


def row(table, quarter, indicator, scope="district") -> pd.Series:
    hit = table[(table["quarter"] == quarter) & (table["indicator"] == indicator) & (table["scope"] == scope)]
    assert len(hit) == 1, f"{quarter} {indicator} {scope}: {len(hit)} rows"
    return hit.iloc[0]


def value(table, quarter, indicator, scope="district"):
    return row(table, quarter, indicator, scope)["value"]


def scopes(table, quarter, indicator) -> set[str]:
    return set(table[(table["quarter"] == quarter) & (table["indicator"] == indicator)]["scope"])


ALL_SCOPES = {"district", *REGION.streets}


# --- sampling.sql -----------------------------------------------------------------------------


def test_sampling_refusals_count_in_neither_batches_nor_pass_rate(con):
    load(con, "product_sampling", [
        batch("S1", "2026-01-05", "合格", "金砂街道"),
        batch("S2", "2026-01-06", "不合格", "金砂街道", "整改中"),
        batch("S3", "2026-02-01", "拒检", "金砂街道"),
        batch("S4", "2026-02-02", "不合格", "东方街道", "复查合格"),
        batch("S5", "2026-03-03", "合格", UNKNOWN_STREET),
        batch("S6", "2026-03-31", "不合格"),
        batch("S7", "2026-03-31", "拒检", "东方街道"),
    ])
    table = indicators(con)

    assert value(table, "2026Q1", "sampling_batches") == 5
    rate = row(table, "2026Q1", "sampling_pass_rate")
    assert (rate["value"], rate["numerator"], rate["denominator"]) == (40.0, 2, 5)
    assert rate["target"] == 93 and rate["target_met"] is False
    assert value(table, "2026Q1", "sampling_refusals") == 2
    assert value(table, "2026Q1", "sampling_followup_open") == 2  # S2 整改中, S6 no follow-up at all

    assert value(table, "2026Q1", "sampling_batches", "金砂街道") == 2
    assert value(table, "2026Q1", "sampling_pass_rate", "金砂街道") == 50.0
    assert value(table, "2026Q1", "sampling_batches", "东方街道") == 1
    assert value(table, "2026Q1", "sampling_pass_rate", "东方街道") == 0.0


def test_sampling_streets_without_batches_and_unknown_streets(con):
    load(con, "product_sampling", [batch("S1", "2026-01-05", "合格", UNKNOWN_STREET),
                                   batch("S2", "2026-01-05", "拒检", "光华街道")])
    table = indicators(con)

    assert scopes(table, "2026Q1", "sampling_batches") == ALL_SCOPES
    assert value(table, "2026Q1", "sampling_batches") == 1
    assert value(table, "2026Q1", "sampling_batches", "光华街道") == 0
    assert pd.isna(value(table, "2026Q1", "sampling_pass_rate", "光华街道"))
    assert row(table, "2026Q1", "sampling_pass_rate", "光华街道")["target_met"] is None
    assert scopes(table, "2026Q1", "sampling_refusals") == {"district"}
    assert UNKNOWN_STREET not in set(table["scope"])


# --- enforcement.sql --------------------------------------------------------------------------


@pytest.fixture
def enforcement(con) -> pd.DataFrame:
    load(con, "enforcement_inspections", [
        inspection("I1", "2026-01-10", 30, "金砂街道", 12),
        inspection("I2", "2026-02-20", 20, "金砂街道", 8),
        inspection("I3", "2026-03-05", 50, UNKNOWN_STREET, 5),
        inspection("I4", "2026-03-31", 10, "东方街道"),
        inspection("I5", "2026-07-01", 59, "石炮台街道", 1),
        inspection("I6", "2026-09-30", 58, "金厦街道", 2),
    ])
    load(con, "enforcement_cases", [
        case("C1", "2026-01-15", FAKE, "金砂街道", sales_amount=50_000, goods_value=0, transferred=False,
             fine=10_000, confiscation=2_500.50, status="结案"),
        case("C2", "2026-02-01", TRADEMARK, "东方街道", transferred=True, fine=15_000, status="已移送"),
        case("C3", "2026-03-01", FAKE, "金砂街道", sales_amount=49_999.99, goods_value=149_999.99,
             confiscation=300),
        case("C4", "2026-03-10", FAKE, UNKNOWN_STREET, goods_value=150_000, fine=1_000),
        case("C5", "2026-03-20", FAKE, "金砂街道", sales_amount=900_000, transferred=True, fine=99_999,
             status="撤销"),
        case("C6", "2026-03-25", "无证生产经营", "东方街道", fine=500),
        case("C7", "2026-01-05", "其他", "金砂街道", fine=7_777),
        case("C8", "2026-04-10", "计量违法", "海安街道", fine=800, transferred=False),
        case("C9", "2026-10-01", FAKE, "金砂街道", sales_amount=100_000, fine=5_000, status="撤销"),
    ])
    load(con, "enforcement_cases", [case("C7", "2026-02-05", "其他", "光华街道", fine=2_000)], delivery_seq=2)
    return indicators(con)


def test_enforcement_district_figures(enforcement):
    q1 = {i: value(enforcement, "2026Q1", i) for i in (
        "enforcement_inspection_person_times", "enforcement_entities_inspected", "enforcement_cases",
        "anticounterfeit_cases", "enforcement_penalties_yuan", "enforcement_transferred_cases",
        "enforcement_missed_transfers")}
    assert q1 == {
        "enforcement_inspection_person_times": 110,  # I1-I4, the unknown street's I3 included
        "enforcement_entities_inspected": 25,  # I4 has no entities
        "enforcement_cases": 6,  # C1-C4, C6, C7; C5 revoked
        "anticounterfeit_cases": 4,  # C1-C4
        "enforcement_penalties_yuan": pytest.approx(12_500.50 + 15_000 + 300 + 1_000 + 500 + 2_000),
        "enforcement_transferred_cases": 1,  # C2; revoked C5 is not counted
        "enforcement_missed_transfers": 2,  # C1 sales exactly 50,000; C4 goods exactly 150,000
    }
    assert row(enforcement, "2026Q1", "enforcement_missed_transfers")["target_met"] is False
    assert row(enforcement, "2026Q1", "enforcement_inspection_person_times")["unit"] == "person-times"
    assert row(enforcement, "2026Q1", "enforcement_penalties_yuan")["unit"] == "yuan"


def test_enforcement_street_breakdown(enforcement):
    for indicator in ("enforcement_inspection_person_times", "enforcement_entities_inspected",
                      "enforcement_cases", "anticounterfeit_cases"):
        assert scopes(enforcement, "2026Q1", indicator) == ALL_SCOPES
    for indicator in ("enforcement_penalties_yuan", "enforcement_transferred_cases",
                      "enforcement_missed_transfers"):
        assert scopes(enforcement, "2026Q1", indicator) == {"district"}
    assert UNKNOWN_STREET not in set(enforcement["scope"])

    assert value(enforcement, "2026Q1", "enforcement_inspection_person_times", "金砂街道") == 50
    assert value(enforcement, "2026Q1", "enforcement_entities_inspected", "金砂街道") == 20
    assert value(enforcement, "2026Q1", "enforcement_inspection_person_times", "东方街道") == 10
    assert value(enforcement, "2026Q1", "enforcement_entities_inspected", "东方街道") == 0
    assert value(enforcement, "2026Q1", "enforcement_cases", "金砂街道") == 2  # C1, C3 (C5 revoked, C7 moved)
    assert value(enforcement, "2026Q1", "anticounterfeit_cases", "金砂街道") == 2
    assert value(enforcement, "2026Q1", "enforcement_cases", "东方街道") == 2
    assert value(enforcement, "2026Q1", "anticounterfeit_cases", "东方街道") == 1
    assert value(enforcement, "2026Q1", "enforcement_cases", "月浦街道") == 0
    street_cases = enforcement[(enforcement["quarter"] == "2026Q1") & (enforcement["indicator"] == "enforcement_cases")
                               & (enforcement["scope"] != "district")]["value"].sum()
    assert street_cases == 5  # the district's 6 less C4 of the unknown street


def test_newest_delivery_of_a_case_wins(enforcement):
    # C7 re-delivered with another street and fine: delivery 2 wins although its row number is lower.
    assert value(enforcement, "2026Q1", "enforcement_cases", "光华街道") == 1
    assert value(enforcement, "2026Q1", "enforcement_penalties_yuan") == pytest.approx(31_300.50)


def test_quarter_with_inspections_but_no_cases_has_zero_case_rows(enforcement):
    for indicator in ("enforcement_cases", "anticounterfeit_cases", "enforcement_penalties_yuan",
                      "enforcement_transferred_cases", "enforcement_missed_transfers"):
        assert value(enforcement, "2026Q3", indicator) == 0
    assert value(enforcement, "2026Q3", "enforcement_cases", "石炮台街道") == 0
    assert value(enforcement, "2026Q3", "enforcement_inspection_person_times") == 117
    assert row(enforcement, "2026Q3", "enforcement_missed_transfers")["target_met"] is True


def test_quarter_with_cases_but_no_inspections_has_zero_inspection_rows(enforcement):
    assert value(enforcement, "2026Q2", "enforcement_cases") == 1
    assert value(enforcement, "2026Q2", "enforcement_cases", "海安街道") == 1
    assert value(enforcement, "2026Q2", "enforcement_penalties_yuan") == 800
    assert scopes(enforcement, "2026Q2", "enforcement_inspection_person_times") == ALL_SCOPES
    assert value(enforcement, "2026Q2", "enforcement_inspection_person_times") == 0
    assert value(enforcement, "2026Q2", "enforcement_inspection_person_times", "海安街道") == 0
    assert value(enforcement, "2026Q2", "enforcement_entities_inspected") == 0
    assert row(enforcement, "2026Q2", "enforcement_inspection_person_times")["target_met"] is False


def test_revoked_cases_count_in_no_case_indicator(enforcement):
    # 2026Q4 holds only C9, revoked: the quarter has enforcement data, every figure is zero.
    for indicator in ("enforcement_cases", "anticounterfeit_cases", "enforcement_penalties_yuan",
                      "enforcement_transferred_cases", "enforcement_missed_transfers"):
        assert value(enforcement, "2026Q4", indicator) == 0
    assert value(enforcement, "2026Q4", "enforcement_cases", "金砂街道") == 0


def test_person_times_target_at_street_level(enforcement):
    met = row(enforcement, "2026Q3", "enforcement_inspection_person_times", "石炮台街道")
    assert met["target"] == pytest.approx(STREET_TARGET) and met["value"] == 59 and met["target_met"] is True
    missed = row(enforcement, "2026Q3", "enforcement_inspection_person_times", "金厦街道")
    assert missed["value"] == 58 and missed["target_met"] is False
    district = row(enforcement, "2026Q3", "enforcement_inspection_person_times")
    assert district["target"] == 1000 and district["target_met"] is False
    assert pd.isna(row(enforcement, "2026Q3", "enforcement_entities_inspected", "金厦街道")["target"])


@pytest.mark.parametrize(
    ("violation_type", "sales_amount", "goods_value", "transferred", "missed"),
    [
        (FAKE, 50_000, None, False, 1),  # sales threshold exactly met
        (FAKE, None, 150_000, None, 1),  # goods threshold exactly met, transferred unknown
        (FAKE, 49_999.99, 149_999.99, False, 0),  # both just below
        (FAKE, 50_000, 150_000, True, 0),  # transferred
        (FAKE, None, None, None, 0),  # amounts unknown
        (TRADEMARK, 80_000, 200_000, False, 0),  # not the fake-goods type
    ],
)
def test_prosecution_threshold(con, violation_type, sales_amount, goods_value, transferred, missed):
    load(con, "enforcement_cases", [case("C1", "2026-05-05", violation_type, sales_amount=sales_amount,
                                         goods_value=goods_value, transferred=transferred)])
    assert value(indicators(con), "2026Q2", "enforcement_missed_transfers") == missed


def test_penalties_sum_fines_read_from_a_wan_yuan_header(con, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("案件编号,立案日期,违法行为类型,当事人名称,罚款金额(万元),没收金额（元）\n"
                    "C1,2026-07-01,其他,某公司,1.5,300\n", encoding="utf-8")
    typed = typed_frame(read_extract(path, load_feed("enforcement_cases")), REGION)
    assert typed.at[0, "fine"] == pytest.approx(15_000) and typed.at[0, "confiscation"] == pytest.approx(300)

    load(con, "enforcement_cases", [case("C1", "2026-07-01", fine=float(typed.at[0, "fine"]),
                                         confiscation=float(typed.at[0, "confiscation"]))])
    assert value(indicators(con), "2026Q3", "enforcement_penalties_yuan") == pytest.approx(15_300)


# --- remediation.sql --------------------------------------------------------------------------


def test_remediation_carries_projects_forward(con):
    load(con, "remediation_projects", [
        report("P1", "2026-01", 1_000_000, 200_000),
        report("P1", "2026-03", 1_000_000, 500_000),
        report("P1", "2026-10", 1_000_000, 1_000_000, "2026-09-28"),
        report("P2", "2026-02", 2_000_000, 900_000),
        report("P2", "2026-09", 2_000_000, 2_000_000, "2026-09-30"),
        report("P3", "2026-08", 1_000_000, 1_000_000, "2026-06-30"),
    ])
    load(con, "remediation_projects", [report("P2", "2026-02", 2_000_000, 500_000)], delivery_seq=2)
    table = indicators(con)

    assert set(table["quarter"]) == {"2026Q1", "2026Q2", "2026Q3", "2026Q4"}
    assert set(table["scope"]) == {"district"}
    expected = {  # quarter: (completed, planned, projects finished)
        "2026Q1": (1_000_000, 3_000_000, 0),  # P1 @ March, P2 @ February (corrected delivery)
        "2026Q2": (1_000_000, 3_000_000, 0),  # no report at all: Q1's positions carry forward
        "2026Q3": (3_500_000, 4_000_000, 2),  # P1 still @ March; P2 finished on quarter end; P3
        "2026Q4": (4_000_000, 4_000_000, 3),  # P1's finish (in Q3) first reported in October
    }
    for quarter, (completed, planned, finished) in expected.items():
        rate = row(table, quarter, "remediation_investment_rate")
        assert rate["numerator"] == completed and rate["denominator"] == planned
        assert rate["value"] == pytest.approx(round(100 * completed / planned, 4))
        assert rate["unit"] == "%"
        assert value(table, quarter, "remediation_projects_completed") == finished


# --- water_quality.sql ------------------------------------------------------------------------


def test_water_bodies_assessed_and_not_black(con):
    load(con, "water_quality", [
        *body_samples("甲涌", 10, black={4}),  # 1 of 10 black: exactly 10%, not black
        *body_samples("乙涌", 10, black={2, 7}),  # 2 of 10: black
        *body_samples("丙涌", 4, points=2),  # only 2 points: not assessed
        *body_samples("丁涌", 3, black={0, 1, 2}, dates=2),  # only 2 dates: not assessed
        *body_samples("戊涌", 2, month="2026-10"),  # the only body of 2026Q4, not assessed
    ])
    table = indicators(con)

    q3 = row(table, "2026Q3", "water_bodies_not_black_rate")
    assert (q3["value"], q3["numerator"], q3["denominator"]) == (50.0, 1, 2)
    assert q3["target"] == 90 and q3["target_met"] is False
    q4 = row(table, "2026Q4", "water_bodies_not_black_rate")
    assert pd.isna(q4["value"]) and q4["numerator"] == 0 and q4["denominator"] == 0
    assert q4["target_met"] is None
    assert set(table["scope"]) == {"district"}


@pytest.mark.parametrize(
    ("measures", "black"),
    [
        ({"transparency_cm": 25.0}, False),
        ({"transparency_cm": 24.9}, True),
        ({"transparency_cm": 5.0}, True),  # heavy
        ({"do_mg_l": 2.0}, False),
        ({"do_mg_l": 1.99}, True),
        ({"orp_mv": 50.0}, False),
        ({"orp_mv": 49.9}, True),
        ({"orp_mv": -300.0}, True),  # heavy
        ({"nh3n_mg_l": 8.0}, False),
        ({"nh3n_mg_l": 8.01}, True),
        ({"nh3n_mg_l": 20.0}, True),  # heavy
        # shallow water: transparency is black only below 40% of the depth
        ({"depth_cm": 20.0, "transparency_cm": 9.0}, False),
        ({"depth_cm": 20.0, "transparency_cm": 8.0}, False),
        ({"depth_cm": 20.0, "transparency_cm": 7.9}, True),
        ({"depth_cm": 7.0, "transparency_cm": 2.8}, False),  # exactly 40%, though 0.4 × 7.0 > 2.8 in floats
        ({"depth_cm": 24.9, "transparency_cm": 24.0}, False),
        ({"depth_cm": 25.0, "transparency_cm": 24.0}, True),  # 25 cm is not shallow
        ({"depth_cm": None, "transparency_cm": 20.0}, True),
        # missing measures make nothing black
        ({"transparency_cm": None, "do_mg_l": None, "orp_mv": None, "nh3n_mg_l": None, "depth_cm": None}, False),
    ],
)
def test_black_odorous_sample(con, measures, black):
    load(con, "water_quality", [sample("河", "P1", "2026-07-01"), sample("河", "P2", "2026-07-02"),
                                sample("河", "P3", "2026-07-03", **measures)])
    # one black sample in three is over 10%: the body is black-odorous, the rate 0
    assert value(indicators(con), "2026Q3", "water_bodies_not_black_rate") == (0.0 if black else 100.0)


# --- the quality-competitiveness index --------------------------------------------------------


def test_quality_competitiveness_index(con):
    load(con, "product_sampling", [
        *(batch(f"A{i}", "2026-02-01", "合格", "金砂街道") for i in range(9)),
        batch("A9", "2026-02-01", "不合格", "金砂街道", "整改中"),
        batch("B1", "2026-05-01", "合格", "金砂街道"),
    ])
    load(con, "enforcement_inspections", [inspection("I1", "2026-02-01", 500, "金砂街道"),
                                          inspection("I2", "2026-05-01", 250, "金砂街道")])
    load(con, "water_quality", [
        *body_samples("甲涌", 3, month="2026-03"),
        *body_samples("乙涌", 3, month="2026-03"),
        *body_samples("丙涌", 3, month="2026-03"),
        *body_samples("丁涌", 3, black={1}, month="2026-03"),  # 3 of 4 bodies not black: 75%
    ])
    table = indicators(con)

    pass_rate = 60 + 40 * (90 - 80) / (93 - 80)
    person_times = 60 + 40 * 500 / 1000
    followup = 60 + 40 * (20 - 1) / 20
    water = 60 + 40 * (75 - 50) / (90 - 50)
    district = row(table, "2026Q1", "quality_competitiveness_index")
    expected = 0.4 * pass_rate + 0.2 * person_times + 0.2 * followup + 0.2 * water
    assert district["value"] == pytest.approx(expected, abs=1e-4)  # 88.9077
    assert district["unit"] == "score" and district["target"] == 85 and district["target_met"] is True

    # A street has only its sampling and person-times parts: weights 0.4 and 0.2, renormalised.
    street = value(table, "2026Q1", "quality_competitiveness_index", "金砂街道")
    assert street == pytest.approx((0.4 * pass_rate + 0.2 * 100) / 0.6, abs=1e-4)  # 500 ≥ 1000 ÷ 17
    # No sampling in 东方: its index is its person-times part alone (0 person-times: 60).
    assert value(table, "2026Q1", "quality_competitiveness_index", "东方街道") == pytest.approx(60)

    # 2026Q2 has no water samples: the other three parts, weights renormalised over 0.8.
    q2 = value(table, "2026Q2", "quality_competitiveness_index")
    assert q2 == pytest.approx((0.4 * 100 + 0.2 * (60 + 40 * 250 / 1000) + 0.2 * 100) / 0.8, abs=1e-4)  # 92.5
