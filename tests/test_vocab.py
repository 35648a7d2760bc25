"""Intervention kinds and classes, and clinical shorthand, on real records of the corpus."""

from __future__ import annotations

import re

import pytest

from simtrials.vocab import (
    ABBREVIATIONS,
    classify,
    expand_common,
    intervention_classes,
    intervention_match,
    title_classes,
    trial_interventions,
)
from simtrials.vocab._classes import CLASSES, KINDS, TYPE_KINDS
from simtrials.vocab.abbreviations import SOURCES
from simtrials.vocab.interventions import CLASS_MATCH, GENERIC_CLASSES, KIND_MATCH, class_kind


def test_every_table_entry_compiles_has_a_known_kind_and_a_source():
    for pattern, cls, kind, source in CLASSES:
        re.compile(pattern)
        assert kind in KINDS, cls
        assert source.strip(), cls
    assert set(TYPE_KINDS.values()) <= set(KINDS)
    assert set(ABBREVIATIONS) == set(SOURCES) and all(SOURCES.values())
    assert GENERIC_CLASSES <= {c for _p, c, _k, _s in CLASSES}


@pytest.mark.parametrize(
    "stem, cls",
    [
        ("afil", "PDE5 inhibitor"),
        ("lutamide", "androgen receptor pathway inhibitor"),
        ("parib", "PARP inhibitor"),
        ("gliflozin", "SGLT2 inhibitor"),
        ("sartan", "angiotensin receptor blocker"),
        ("mab", "monoclonal antibody"),
    ],
)
def test_every_real_intervention_named_with_an_inn_stem_gets_its_class(corpus, stem, cls):
    ending = re.compile(rf"\b[a-z]+{stem}\b", re.I)
    names = {n for names in corpus["interventions"] for n in names if ending.search(n)}
    assert names, f"no intervention of the corpus ends in -{stem}"
    for name in names:
        assert cls in classify(name) or (
            cls == "monoclonal antibody" and set(classify(name)) - GENERIC_CLASSES
        ), name


def test_cell_therapies_of_the_corpus_are_classed_as_cell_therapy(corpus):
    pattern = re.compile(r"mesenchymal|cord blood|\bCAR[- ]?T\b|stem cells?", re.I)
    rows = corpus[corpus["interventions"].map(lambda v: any(pattern.search(n) for n in v))]
    assert len(rows) >= 20
    for rec in rows.to_dict("records"):
        items = [it for it in trial_interventions(rec) if pattern.search(it.name)]
        assert items, rec["nct_id"]
        # transplants are procedures with cells; everything else is a cell therapy
        assert all(it.kind == "cell therapy" for it in items), (rec["nct_id"], items)


def test_placebo_and_usual_care_arms_are_not_items(corpus):
    rec = next(
        r
        for r in corpus.to_dict("records")
        if any(n.lower() == "placebo" for n in r["interventions"]) and len(r["interventions"]) > 1
    )
    names = [it.name.lower() for it in trial_interventions(rec)]
    assert "placebo" not in names and names


def test_the_type_gives_the_kind_when_no_class_matches(corpus):
    for rec in corpus.head(500).to_dict("records"):
        for it in trial_interventions(rec):
            if not it.classes:
                assert it.kind == TYPE_KINDS.get(it.type or "")
            else:
                assert it.kind == class_kind(it.label) or it.kind in KINDS


def test_a_class_word_in_the_title_names_a_code_named_product(corpus):
    rec = corpus[corpus["title"].str.contains("Menin Inhibitor", case=False, na=False)]
    assert len(rec)
    rec = rec.iloc[0].to_dict()
    assert "menin inhibitor" in title_classes(rec)
    assert "menin inhibitor" in intervention_classes(rec)[0]


def test_match_values_and_reasons_read_as_a_designer_says_them():
    pde5 = ({"PDE5 inhibitor"}, {"drug"})
    m = intervention_match(pde5, pde5)
    assert (m.value, m.reason) == (CLASS_MATCH, "both PDE5 inhibitor")
    msc = ({"mesenchymal stromal cells"}, {"cell therapy"})
    ucb = ({"umbilical cord blood cells"}, {"cell therapy"})
    m = intervention_match(msc, ucb)
    assert m.value == KIND_MATCH and "cell therapy" in m.reason
    device = ({"continuous glucose monitoring"}, {"device"})
    m = intervention_match(device, pde5)
    assert m.value == 0 and m.reason == "different intervention kind: device vs drug"
    surgery_a = ({"surgery", "prostatectomy"}, {"procedure"})
    surgery_b = ({"surgery"}, {"procedure"})
    assert intervention_match(surgery_a, surgery_b).value == KIND_MATCH
    assert intervention_match((set(), set()), pde5).reason == "intervention kind unknown"


def test_common_shorthand_is_expanded_unless_defined_or_spelled_out():
    assert expand_common("hUC-MSCs in AIS") == (
        "hUC-MSCs (human umbilical cord mesenchymal stem cells) in AIS (acute ischemic stroke)"
    )
    # already spelled out, being defined, or defined otherwise by the record: left alone
    assert expand_common("acute ischemic stroke (AIS) and AIS") == (
        "acute ischemic stroke (AIS) and AIS"
    )
    assert expand_common("AIS (adolescent idiopathic scoliosis)") == (
        "AIS (adolescent idiopathic scoliosis)"
    )
    assert expand_common("AIS", {"AIS": "adolescent idiopathic scoliosis"}) == "AIS"
    # words inside other words, and text in capitals, are not shorthand
    assert expand_common("MALLET FINGER IN ALL PATIENTS") == "MALLET FINGER IN ALL PATIENTS"
    assert expand_common("CALL or AMLODIPINE") == "CALL or AMLODIPINE"


def test_the_anchor_test_never_changes_a_class(corpus):
    """classify() skips a pattern when the text lacks all of its literal anchors: on real
    names, titles and descriptions it finds exactly what searching every pattern finds."""
    from simtrials.vocab.interventions import anchors, classify_slowly

    texts = set()
    for rec in corpus.sample(1500, random_state=3).to_dict("records"):
        texts.update(rec["interventions"])
        texts.update(str(rec[c]) for c in ("title", "official_title"))
        texts.update(str(d)[:300] for d in rec["intervention_descriptions"])
    texts |= {"THE EFFECT OF RELAXATION EXERCİSE ON COMFORT", "Immunization", "hUC-MSCs"}
    assert len(texts) > 2000
    assert [classify(t) for t in texts] == [classify_slowly(t) for t in texts]
    assert anchors(r"vaccin|immuni[sz]ation") == ("vaccin", "immuni")
    assert anchors(r"\bdiet\b|\w+") is None  # an alternative without a literal: always searched


@pytest.mark.parametrize(
    "found, cls",
    [
        (r"alprostadil|dinoprostone|misoprostol", "prostaglandin analogue"),
        (r"\bpsma[- ]?(?:11|1007)\b", "PET / nuclear imaging"),
        (r"\bcar[- ]?nk\b", "NK cells"),
        (r"\bxen\d*\b|miniject|istent", "glaucoma surgery / drainage implant"),
    ],
)
def test_real_names_of_a_class_without_a_stem_get_it(corpus, found, cls):
    """Prostaglandins by their INN -prost- stem inside the name, PSMA PET tracers, CAR-NK
    cells and MIGS devices by name, as the corpus spells them."""
    pattern = re.compile(found, re.I)
    names = {n for names in corpus["interventions"] for n in names if pattern.search(n)}
    assert names, found
    for name in names:
        assert cls in classify(name), name


def test_a_product_code_ending_in_11f_is_not_a_pet_tracer(corpus):
    # "WC3036-11F/Alprostadil in Vehicle 2.5%" is a topical alprostadil (NCT01810575), not 11F
    names = {n for names in corpus["interventions"] for n in names if "-11F" in n}
    assert names
    for name in names:
        assert "PET / nuclear imaging" not in classify(name), name
    assert "PET / nuclear imaging" in classify("[11C]PiB")
    assert "PET / nuclear imaging" in classify("18F-PSMA-1007 PET/CT")
