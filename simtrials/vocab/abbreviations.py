"""Common clinical shorthand, expanded where a record or a draft does not define it.

Drafts and many records write "T2DM", "NSCLC", "AIS" or "hUC-MSCs" without spelling them
out; a small general model does not know them. :func:`expand_common` writes each one it
finds as "SF (long form)", as :func:`simtrials.represent.expand_abbreviations` does for the
abbreviations a record defines itself (those win over this table).

Each long form is the preferred term of the named source: ``MeSH`` (the NLM descriptor whose
entry terms list the abbreviation), ``NCIt`` (the NCI Thesaurus concept whose synonyms list
it), or ``ICD-10`` (the chapter or category title). Only abbreviations with one dominant
clinical meaning are listed ("MS", "PD", "ED", "PE", "TBI" are left out: several meanings
each; "TBI" is traumatic brain injury and total-body irradiation).
"""

from __future__ import annotations

import functools
import re

__all__ = ["ABBREVIATIONS", "SOURCES", "expand_common"]

# short form -> (long form, source)
_TABLE: dict[str, tuple[str, str]] = {
    "T1DM": ("type 1 diabetes mellitus", "MeSH: Diabetes Mellitus, Type 1"),
    "T2DM": ("type 2 diabetes mellitus", "MeSH: Diabetes Mellitus, Type 2"),
    "T2D": ("type 2 diabetes", "MeSH: Diabetes Mellitus, Type 2"),
    "GDM": ("gestational diabetes mellitus", "MeSH: Diabetes, Gestational"),
    "NSCLC": ("non-small cell lung cancer", "MeSH: Carcinoma, Non-Small-Cell Lung"),
    "SCLC": ("small cell lung cancer", "MeSH: Small Cell Lung Carcinoma"),
    "AML": ("acute myeloid leukemia", "MeSH: Leukemia, Myeloid, Acute"),
    "ALL": ("acute lymphoblastic leukemia", "MeSH: Precursor Cell Lymphoblastic Leukemia-Lymphoma"),
    "CLL": ("chronic lymphocytic leukemia", "MeSH: Leukemia, Lymphocytic, Chronic, B-Cell"),
    "CML": ("chronic myeloid leukemia", "MeSH: Leukemia, Myelogenous, Chronic, BCR-ABL Positive"),
    "MDS": ("myelodysplastic syndrome", "MeSH: Myelodysplastic Syndromes"),
    "DLBCL": ("diffuse large B-cell lymphoma", "MeSH: Lymphoma, Large B-Cell, Diffuse"),
    "HCC": ("hepatocellular carcinoma", "MeSH: Carcinoma, Hepatocellular"),
    "CRC": ("colorectal cancer", "MeSH: Colorectal Neoplasms"),
    "RCC": ("renal cell carcinoma", "MeSH: Carcinoma, Renal Cell"),
    "mCRPC": (
        "metastatic castration-resistant prostate cancer",
        "MeSH: Prostatic Neoplasms, Castration-Resistant",
    ),
    "CRPC": (
        "castration-resistant prostate cancer",
        "MeSH: Prostatic Neoplasms, Castration-Resistant",
    ),
    "mHSPC": (
        "metastatic hormone-sensitive prostate cancer",
        "NCIt: Metastatic Castration-Sensitive Prostate Carcinoma",
    ),
    "mCSPC": (
        "metastatic castration-sensitive prostate cancer",
        "NCIt: Metastatic Castration-Sensitive Prostate Carcinoma",
    ),
    "BPH": ("benign prostatic hyperplasia", "MeSH: Prostatic Hyperplasia"),
    "LUTS": ("lower urinary tract symptoms", "MeSH: Lower Urinary Tract Symptoms"),
    "OAB": ("overactive bladder", "MeSH: Urinary Bladder, Overactive"),
    "UTI": ("urinary tract infection", "MeSH: Urinary Tract Infections"),
    "CKD": ("chronic kidney disease", "MeSH: Renal Insufficiency, Chronic"),
    "ESRD": ("end-stage renal disease", "MeSH: Kidney Failure, Chronic"),
    "AKI": ("acute kidney injury", "MeSH: Acute Kidney Injury"),
    "COPD": (
        "chronic obstructive pulmonary disease",
        "MeSH: Pulmonary Disease, Chronic Obstructive",
    ),
    "ARDS": ("acute respiratory distress syndrome", "MeSH: Respiratory Distress Syndrome"),
    "IPF": ("idiopathic pulmonary fibrosis", "MeSH: Idiopathic Pulmonary Fibrosis"),
    "OSA": ("obstructive sleep apnea", "MeSH: Sleep Apnea, Obstructive"),
    "AIS": ("acute ischemic stroke", "MeSH: Ischemic Stroke"),
    "TIA": ("transient ischemic attack", "MeSH: Ischemic Attack, Transient"),
    "ICH": ("intracerebral hemorrhage", "MeSH: Cerebral Hemorrhage"),
    "SAH": ("subarachnoid hemorrhage", "MeSH: Subarachnoid Hemorrhage"),
    "SCI": ("spinal cord injury", "MeSH: Spinal Cord Injuries"),
    "AD": ("Alzheimer's disease", "MeSH: Alzheimer Disease"),
    "MCI": ("mild cognitive impairment", "MeSH: Cognitive Dysfunction"),
    "ALS": ("amyotrophic lateral sclerosis", "MeSH: Amyotrophic Lateral Sclerosis"),
    "MDD": ("major depressive disorder", "MeSH: Depressive Disorder, Major"),
    "PTSD": ("post-traumatic stress disorder", "MeSH: Stress Disorders, Post-Traumatic"),
    "ADHD": (
        "attention deficit hyperactivity disorder",
        "MeSH: Attention Deficit Disorder with Hyperactivity",
    ),
    "CAD": ("coronary artery disease", "MeSH: Coronary Artery Disease"),
    "MI": ("myocardial infarction", "MeSH: Myocardial Infarction"),
    "AMI": ("acute myocardial infarction", "MeSH: Myocardial Infarction"),
    "ACS": ("acute coronary syndrome", "MeSH: Acute Coronary Syndrome"),
    "HF": ("heart failure", "MeSH: Heart Failure"),
    "HFrEF": ("heart failure with reduced ejection fraction", "MeSH: Heart Failure, Systolic"),
    "HFpEF": ("heart failure with preserved ejection fraction", "MeSH: Heart Failure, Diastolic"),
    "AF": ("atrial fibrillation", "MeSH: Atrial Fibrillation"),
    "HTN": ("hypertension", "MeSH: Hypertension"),
    "PAD": ("peripheral arterial disease", "MeSH: Peripheral Arterial Disease"),
    "CLI": ("critical limb ischemia", "MeSH: Chronic Limb-Threatening Ischemia"),
    "DVT": ("deep vein thrombosis", "MeSH: Venous Thrombosis"),
    "CABG": ("coronary artery bypass grafting", "MeSH: Coronary Artery Bypass"),
    "PCI": ("percutaneous coronary intervention", "MeSH: Percutaneous Coronary Intervention"),
    "TAVR": (
        "transcatheter aortic valve replacement",
        "MeSH: Transcatheter Aortic Valve Replacement",
    ),
    "RA": ("rheumatoid arthritis", "MeSH: Arthritis, Rheumatoid"),
    "OA": ("osteoarthritis", "MeSH: Osteoarthritis"),
    "SLE": ("systemic lupus erythematosus", "MeSH: Lupus Erythematosus, Systemic"),
    "IBD": ("inflammatory bowel disease", "MeSH: Inflammatory Bowel Diseases"),
    "UC": ("ulcerative colitis", "MeSH: Colitis, Ulcerative"),
    "IBS": ("irritable bowel syndrome", "MeSH: Irritable Bowel Syndrome"),
    "GERD": ("gastroesophageal reflux disease", "MeSH: Gastroesophageal Reflux"),
    "NAFLD": ("non-alcoholic fatty liver disease", "MeSH: Non-alcoholic Fatty Liver Disease"),
    "NASH": ("non-alcoholic steatohepatitis", "MeSH: Non-alcoholic Fatty Liver Disease"),
    "HIV": ("human immunodeficiency virus infection", "MeSH: HIV Infections"),
    "HCV": ("hepatitis C virus infection", "MeSH: Hepatitis C"),
    "HBV": ("hepatitis B virus infection", "MeSH: Hepatitis B"),
    "LBP": ("low back pain", "MeSH: Low Back Pain"),
    "CLBP": ("chronic low back pain", "MeSH: Low Back Pain"),
    "LDH": ("lumbar disc herniation", "MeSH: Intervertebral Disc Displacement"),
    "POAG": ("primary open-angle glaucoma", "MeSH: Glaucoma, Open-Angle"),
    "AMD": ("age-related macular degeneration", "MeSH: Macular Degeneration"),
    "GVHD": ("graft-versus-host disease", "MeSH: Graft vs Host Disease"),
    "MSC": ("mesenchymal stem cell", "MeSH: Mesenchymal Stem Cells"),
    "MSCs": ("mesenchymal stem cells", "MeSH: Mesenchymal Stem Cells"),
    "hUC-MSC": ("human umbilical cord mesenchymal stem cell", "MeSH: Mesenchymal Stem Cells"),
    "hUC-MSCs": ("human umbilical cord mesenchymal stem cells", "MeSH: Mesenchymal Stem Cells"),
    "UC-MSC": ("umbilical cord mesenchymal stem cell", "MeSH: Mesenchymal Stem Cells"),
    "UC-MSCs": ("umbilical cord mesenchymal stem cells", "MeSH: Mesenchymal Stem Cells"),
    "BM-MSC": ("bone marrow mesenchymal stem cell", "MeSH: Mesenchymal Stem Cells"),
    "BM-MSCs": ("bone marrow mesenchymal stem cells", "MeSH: Mesenchymal Stem Cells"),
    "ADSC": ("adipose-derived stem cell", "MeSH: Adipose Tissue; Stem Cells"),
    "ADSCs": ("adipose-derived stem cells", "MeSH: Adipose Tissue; Stem Cells"),
    "UCB": ("umbilical cord blood", "MeSH: Fetal Blood"),
    "HSCT": (
        "hematopoietic stem cell transplantation",
        "MeSH: Hematopoietic Stem Cell Transplantation",
    ),
    "CAR-T": ("chimeric antigen receptor T cells", "MeSH: Receptors, Chimeric Antigen"),
    "ADT": ("androgen deprivation therapy", "NCIt: Androgen Deprivation Therapy"),
    "ICI": ("immune checkpoint inhibitor", "MeSH: Immune Checkpoint Inhibitors"),
    "TKI": ("tyrosine kinase inhibitor", "MeSH: Protein Kinase Inhibitors"),
    "NSAID": (
        "non-steroidal anti-inflammatory drug",
        "MeSH: Anti-Inflammatory Agents, Non-Steroidal",
    ),
    "NSAIDs": (
        "non-steroidal anti-inflammatory drugs",
        "MeSH: Anti-Inflammatory Agents, Non-Steroidal",
    ),
    "PPI": ("proton pump inhibitor", "MeSH: Proton Pump Inhibitors"),
    "SGLT2i": (
        "sodium-glucose cotransporter 2 inhibitor",
        "MeSH: Sodium-Glucose Transporter 2 Inhibitors",
    ),
    "GLP-1RA": (
        "glucagon-like peptide-1 receptor agonist",
        "MeSH: Glucagon-Like Peptide-1 Receptor Agonists",
    ),
    "ACEi": (
        "angiotensin-converting enzyme inhibitor",
        "MeSH: Angiotensin-Converting Enzyme Inhibitors",
    ),
    "ARB": ("angiotensin receptor blocker", "MeSH: Angiotensin Receptor Antagonists"),
    "CGM": ("continuous glucose monitoring", "MeSH: Continuous Glucose Monitoring"),
    "CBT": ("cognitive behavioral therapy", "MeSH: Cognitive Behavioral Therapy"),
    "tDCS": (
        "transcranial direct current stimulation",
        "MeSH: Transcranial Direct Current Stimulation",
    ),
    "rTMS": (
        "repetitive transcranial magnetic stimulation",
        "MeSH: Transcranial Magnetic Stimulation",
    ),
    "TMS": ("transcranial magnetic stimulation", "MeSH: Transcranial Magnetic Stimulation"),
    "DBS": ("deep brain stimulation", "MeSH: Deep Brain Stimulation"),
    "ESWT": ("extracorporeal shockwave therapy", "MeSH: Extracorporeal Shockwave Therapy"),
    "SBRT": ("stereotactic body radiation therapy", "MeSH: Radiosurgery"),
    "IMRT": ("intensity-modulated radiation therapy", "MeSH: Radiotherapy, Intensity-Modulated"),
    "PRP": ("platelet-rich plasma", "MeSH: Platelet-Rich Plasma"),
    "IVIG": ("intravenous immunoglobulin", "MeSH: Immunoglobulins, Intravenous"),
    "ESI": ("epidural steroid injection", "MeSH: Injections, Epidural"),
}

#: Short form -> long form.
ABBREVIATIONS: dict[str, str] = {k: v[0] for k, v in _TABLE.items()}
#: Short form -> the source of its long form.
SOURCES: dict[str, str] = {k: v[1] for k, v in _TABLE.items()}

# A text mostly in capitals ("A STUDY OF ALL PATIENTS") uses capitals for words, not shorthand.
_MOSTLY_CAPITALS = 0.6
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    forms = sorted(ABBREVIATIONS, key=len, reverse=True)
    alternatives = "|".join(re.escape(f) for f in forms)
    return re.compile(rf"(?<![\w(\-]){'(' + alternatives + ')'}(?![\w\-])(?!\s*\()")


def expand_common(text: str, defined: dict[str, str] | None = None) -> str:
    """Write each listed abbreviation in ``text`` as "SF (long form)".

    An abbreviation is left alone where the text already spells its long form out, where it
    is followed by a parenthesis (it is being defined), or where ``defined`` (the record's
    own definitions) gives it another meaning.

    >>> expand_common("hUC-MSCs for AIS")
    'hUC-MSCs (human umbilical cord mesenchymal stem cells) for AIS (acute ischemic stroke)'
    """
    if not text:
        return text
    words = _LONG_WORD.findall(text)
    if len(words) >= 3 and sum(w.isupper() for w in words) / len(words) > _MOSTLY_CAPITALS:
        return text
    defined = defined or {}
    lower = text.lower()

    def repl(m: re.Match[str]) -> str:
        short = m.group(1)
        if short in defined:
            return short
        long = ABBREVIATIONS[short]
        if long.lower() in lower:
            return short
        return f"{short} ({long})"

    return _pattern().sub(repl, text)
