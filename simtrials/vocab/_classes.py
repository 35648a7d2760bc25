"""The curated table of intervention classes: (pattern, class, kind, source).

A pattern is a case-insensitive regular expression searched in an intervention's name,
other names and MeSH terms (and, for class words only, in the trial's title). The first
matching entry of each *class* counts; an item may have several classes (a combination
product). ``kind`` is the broad kind of :data:`KINDS`.

Sources
-------
- ``INN``: World Health Organization, *The use of stems in the selection of International
  Nonproprietary Names (INN) for pharmaceutical substances*, WHO/EMP/RHT/TSN/2018.1 (the
  stem and its definition, e.g. "-afil: PDE5 inhibitors").
- ``MeSH``: the National Library of Medicine's MeSH descriptor of that name (its entry
  terms give the synonyms matched), e.g. "Mesenchymal Stem Cell Transplantation".
- ``ATC``: the WHO ATC classification group of that name, for well-known drugs that carry
  no stem (aspirin, metformin, donepezil …), listed by name.
- ``CT.gov``: ClinicalTrials.gov's intervention types (the record's own ``DEVICE``,
  ``BEHAVIORAL`` … type), used only when no class matches.
"""

from __future__ import annotations

#: The broad kinds of intervention, in the words a designer uses.
KINDS: tuple[str, ...] = (
    "cell therapy",
    "gene therapy",
    "vaccine",
    "antibody",
    "drug",
    "hormone",
    "device",
    "procedure",
    "radiation",
    "behavioural programme",
    "exercise or rehabilitation",
    "dietary supplement",
    "diet",
    "digital tool",
    "diagnostic test",
    "blood product",
)

# Kinds that are specific enough that two trials of the same kind (different classes) share
# "the same kind of intervention" in part; two drugs of unknown class do not.
SPECIFIC_KINDS = frozenset(
    {
        "cell therapy",
        "gene therapy",
        "vaccine",
        "radiation",
        "exercise or rehabilitation",
        "behavioural programme",
        "dietary supplement",
        "diet",
        "digital tool",
        "blood product",
    }
)

_W = r"\b[a-z0-9\-]*"  # a word up to an INN stem (from the word's start)

# (pattern, class, kind, source). Order matters only inside one class.
CLASSES: tuple[tuple[str, str, str, str], ...] = (
    # ---------------------------------------------------------------- cell therapy
    (
        r"mesenchymal|\bmscs?\b|stromal cells?|wharton'?s? jelly|\bhuc-?mscs?\b|\bbm-?mscs?\b|"
        r"\bad-?mscs?\b|\bucmscs?\b|remestemcel|\b\w+temcel\b",
        "mesenchymal stromal cells",
        "cell therapy",
        "MeSH: Mesenchymal Stem Cell Transplantation; INN -temcel",
    ),
    (
        r"cord blood|\bucbs?\b|\bhpc,? cord|umbilical cord(?! mesenchymal)",
        "umbilical cord blood cells",
        "cell therapy",
        "MeSH: Cord Blood Stem Cell Transplantation",
    ),
    (
        r"\bcar[- ]?t\b|\bcar\d*\b[\w -]{0,30}\bt[- ]cells?|chimeric antigen receptor(?![- ]nk)|"
        r"\b\w+leucel\b|star-t\b|\btcr-t\b",
        "CAR-T / engineered T cells",
        "cell therapy",
        "MeSH: Receptors, Chimeric Antigen; INN -leucel",
    ),
    (
        r"\bnk cells?\b|natural killer cells?|\bcar[- ]?nk\b|chimeric antigen receptor[- ]nk",
        "NK cells",
        "cell therapy",
        "MeSH: Killer Cells, Natural",
    ),
    (r"dendritic cells?", "dendritic cells", "cell therapy", "MeSH: Dendritic Cells"),
    (
        r"stromal vascular fraction|\bsvf\b|adipose[- ]derived (?:stem|regenerative|stromal)? ?cells?|"
        r"adipose tissue[- ]derived|\bad-svf\b|\badscs?\b|\brb-adsc\b|fat[- ]derived",
        "adipose-derived cells",
        "cell therapy",
        "MeSH: Adipose Tissue (cell transplantation)",
    ),
    (
        r"mononuclear cells?|\bbm-?mncs?\b|\bbmscs?\b|\bbmacs?\b|bone marrow (?:derived|aspirate concentrate|concentrate|cells)|"
        r"autologous bone marrow",
        "bone marrow cells",
        "cell therapy",
        "MeSH: Bone Marrow Transplantation",
    ),
    (
        r"hematopoietic (?:stem )?cell transplant|haematopoietic|stem cell transplant|\bhsct\b|\bhct\b|"
        r"bone marrow transplant|peripheral blood stem cell|\bpbsct\b|allogeneic transplant|"
        r"autologous transplant",
        "haematopoietic cell transplantation",
        "cell therapy",
        "MeSH: Hematopoietic Stem Cell Transplantation",
    ),
    (
        r"neural stem|neural progenitor|\bnscs?\b",
        "neural stem cells",
        "cell therapy",
        "MeSH: Neural Stem Cells",
    ),
    (
        r"exosomes?|extracellular vesicles?|secretome|conditioned medium",
        "exosomes / cell secretome",
        "cell therapy",
        "MeSH: Exosomes",
    ),
    (
        r"stem cells?|progenitor cells?|cell therapy|cell injection|cell infusion|\bcells? (?:transplant|implant)|"
        r"\bipsc|autologous cells?|allogeneic cells?",
        "stem / other cell therapy",
        "cell therapy",
        "MeSH: Cell- and Tissue-Based Therapy",
    ),
    # ---------------------------------------------------------------- gene therapy, vaccines
    (
        r"gene therapy|gene transfer|\baav\d*\b|adeno-associated|lentivir|\w+gene \b\w+vec\b|\b\w+parvovec\b|"
        r"\b\w+repvec\b|antisense|\b\w+rsen\b|sirna|\b\w+siran\b|crispr",
        "gene or nucleic-acid therapy",
        "gene therapy",
        "INN -gene, -vec, -rsen, -siran; MeSH: Genetic Therapy",
    ),
    (r"vaccin|immuni[sz]ation|toxoid", "vaccine", "vaccine", "MeSH: Vaccines"),
    # ---------------------------------------------------------------- antibodies (by target)
    (
        r"pembrolizumab|nivolumab|cemiplimab|dostarlimab|tislelizumab|toripalimab|sintilimab|camrelizumab|"
        r"atezolizumab|durvalumab|avelumab|ipilimumab|tremelimumab|\banti-?pd-?l?1\b|\bpd-?l?1 (?:inhibitor|antibody|blockade)|"
        r"checkpoint inhibitor|\bctla-?4\b",
        "immune checkpoint inhibitor",
        "antibody",
        "ATC L01FF/L01FX (PD-1/PD-L1, CTLA-4 inhibitors)",
    ),
    (
        r"aducanumab|lecanemab|donanemab|gantenerumab|solanezumab|bapineuzumab|crenezumab|ponezumab|"
        r"anti-?amyloid",
        "anti-amyloid antibody",
        "antibody",
        "ATC N06DX (anti-amyloid monoclonal antibodies)",
    ),
    (
        r"\b\w+mab\b|monoclonal antibod|bispecific|antibody[- ]drug conjugate",
        "monoclonal antibody",
        "antibody",
        "INN -mab",
    ),
    (r"\b\w+cept\b", "fusion protein", "antibody", "INN -cept (receptor fusion proteins)"),
    # ---------------------------------------------------------------- small molecules by stem
    (rf"{_W}afil\b|\bpde-?5\b", "PDE5 inhibitor", "drug", "INN -afil"),
    (
        rf"{_W}lutamide\b|abiraterone|androgen receptor (?:inhibitor|antagonist)|"
        r"anti-?androgen",
        "androgen receptor pathway inhibitor",
        "drug",
        "INN -lutamide; ATC L02BB/L02BX",
    ),
    (
        rf"{_W}relin\b|{_W}relix\b|androgen deprivation|\badt\b|gnrh",
        "androgen deprivation (GnRH analogue)",
        "hormone",
        "INN -relin, -relix; ATC L02AE/L02BX",
    ),
    (rf"{_W}parib\b|\bparp\b", "PARP inhibitor", "drug", "INN -parib"),
    (rf"{_W}menib\b|\bmenin\b", "menin inhibitor", "drug", "INN -menib (menin-KMT2A inhibitors)"),
    (rf"{_W}toclax\b|\bbcl-?2 inhibitor", "BCL-2 inhibitor", "drug", "INN -toclax"),
    (rf"{_W}ciclib\b|\bcdk ?4/6\b", "CDK inhibitor", "drug", "INN -ciclib"),
    (rf"{_W}rafenib\b|{_W}metinib\b", "RAF / MEK inhibitor", "drug", "INN -rafenib, -metinib"),
    (rf"{_W}lisib\b|\bpi3k\b", "PI3K inhibitor", "drug", "INN -lisib"),
    (
        rf"{_W}tinib\b|tyrosine kinase inhibitor|\btki\b",
        "tyrosine kinase inhibitor",
        "drug",
        "INN -tinib",
    ),
    (rf"{_W}zomib\b|proteasome inhibitor", "proteasome inhibitor", "drug", "INN -zomib"),
    (rf"{_W}limus\b", "mTOR / calcineurin inhibitor", "drug", "INN -limus"),
    (rf"{_W}gliflozin\b|\bsglt-?2\b", "SGLT2 inhibitor", "drug", "INN -gliflozin"),
    (rf"{_W}gliptin\b|\bdpp-?4\b", "DPP-4 inhibitor", "drug", "INN -gliptin"),
    (
        rf"{_W}glutide\b|{_W}enatide\b|tirzepatide|\bglp-?1\b",
        "GLP-1 receptor agonist",
        "drug",
        "INN -glutide, -enatide; ATC A10BJ",
    ),
    (rf"{_W}glitazone\b", "thiazolidinedione", "drug", "INN -glitazone"),
    (r"\binsulin", "insulin", "hormone", "ATC A10A"),
    (r"metformin", "biguanide", "drug", "ATC A10BA"),
    (
        r"glimepiride|glipizide|glibenclamide|glyburide|gliclazide|sulfonylurea",
        "sulfonylurea",
        "drug",
        "ATC A10BB",
    ),
    (
        rf"{_W}sartan\b|angiotensin (?:ii )?receptor (?:blocker|antagonist)|\barbs?\b",
        "angiotensin receptor blocker",
        "drug",
        "INN -sartan",
    ),
    (rf"{_W}pril\b|\bace inhibitor|\bacei\b", "ACE inhibitor", "drug", "INN -pril"),
    (rf"{_W}kiren\b", "renin inhibitor", "drug", "INN -kiren"),
    (r"sacubitril|neprilysin", "neprilysin inhibitor", "drug", "ATC C09DX04"),
    (
        rf"{_W}dipine\b|calcium channel blocker|verapamil|diltiazem",
        "calcium channel blocker",
        "drug",
        "INN -dipine; ATC C08",
    ),
    (
        rf"{_W}olol\b|beta[- ]?blocker|carvedilol|labetalol",
        "beta blocker",
        "drug",
        "INN -olol; ATC C07",
    ),
    (
        r"thiazide|chlorthalidone|indapamide|furosemide|torsemide|bumetanide|spironolactone|eplerenone|"
        r"finerenone|diuretic",
        "diuretic / mineralocorticoid antagonist",
        "drug",
        "ATC C03",
    ),
    (
        r"clonidine|urapidil|nicardipine|hydralazine|antihypertensive|blood pressure lowering",
        "blood-pressure lowering",
        "drug",
        "ATC C02",
    ),
    (
        rf"{_W}vastatin\b|\bstatins?\b|ezetimibe",
        "lipid-lowering drug",
        "drug",
        "INN -vastatin; ATC C10",
    ),
    (
        rf"aspirin|acetylsalicylic|clopidogrel|prasugrel|ticagrelor|{_W}grel(?:or)?\b|cilostazol|dipyridamole|antiplatelet",
        "antiplatelet",
        "drug",
        "INN -grel-; ATC B01AC",
    ),
    (
        rf"{_W}xaban\b|{_W}gatran\b|warfarin|heparin|{_W}parin\b|anticoagula",
        "anticoagulant",
        "drug",
        "INN -xaban, -gatran, -parin; ATC B01AA/AB/AE/AF",
    ),
    (rf"{_W}teplase\b|thromboly|urokinase|streptokinase", "thrombolytic", "drug", "INN -teplase"),
    (
        r"thrombectomy|endovascular (?:therapy|treatment)|stent retriever|aspiration catheter",
        "endovascular thrombectomy",
        "procedure",
        "MeSH: Thrombectomy",
    ),
    (rf"{_W}prazole\b|proton pump", "proton pump inhibitor", "drug", "INN -prazole"),
    (
        rf"{_W}prost(?:ene|adil|one)?\b|misoprostol",
        "prostaglandin analogue",
        "drug",
        "INN -prost- (prostaglandins: latanoprost, alprostadil, dinoprostone, misoprostol)",
    ),
    (
        rf"{_W}zolamide\b|carbonic anhydrase inhibitor",
        "carbonic anhydrase inhibitor",
        "drug",
        "INN -zolamide",
    ),
    (rf"{_W}sudil\b|rho kinase", "Rho kinase inhibitor", "drug", "INN -sudil"),
    (rf"brimonidine|apraclonidine|{_W}onidine\b", "alpha-2 agonist", "drug", "INN -onidine"),
    (rf"{_W}setron\b", "5-HT3 antagonist", "drug", "INN -setron"),
    (rf"{_W}triptan\b", "triptan", "drug", "INN -triptan"),
    (
        rf"fluoxetine|sertraline|paroxetine|citalopram|escitalopram|fluvoxamine|vortioxetine|{_W}oxetine\b|"
        r"venlafaxine|duloxetine|mirtazapine|bupropion|trazodone|antidepress|\bssris?\b",
        "antidepressant",
        "drug",
        "ATC N06A",
    ),
    (
        r"haloperidol|risperidone|olanzapine|quetiapine|aripiprazole|brexpiprazole|pimavanserin|clozapine|"
        r"antipsychotic",
        "antipsychotic",
        "drug",
        "ATC N05A",
    ),
    (rf"{_W}azepam\b|{_W}zolam\b|benzodiazepine", "benzodiazepine", "drug", "INN -azepam, -azolam"),
    (
        r"zolpidem|suvorexant|lemborexant|daridorexant|melatonin|ramelteon|hypnotic",
        "hypnotic / sleep drug",
        "drug",
        "ATC N05C",
    ),
    (
        r"donepezil|rivastigmine|galantamine|{_W}stigmine\b|cholinesterase inhibitor",
        "cholinesterase inhibitor",
        "drug",
        "ATC N06DA",
    ),
    (r"memantine|\bnmda\b", "NMDA antagonist", "drug", "ATC N06DX01"),
    (r"gabapentin|pregabalin|mirogabalin|gabapentinoid", "gabapentinoid", "drug", "ATC N02BF"),
    (
        rf"morphine|fentanyl|{_W}fentanil\b|oxycodone|hydromorphone|tramadol|tapentadol|buprenorphine|"
        r"methadone|codeine|nalbuphine|opioid",
        "opioid",
        "drug",
        "ATC N02A",
    ),
    (rf"{_W}caine\b|local anaesthe|local anesthe", "local anaesthetic", "drug", "INN -caine"),
    (
        r"nerve block|plane block|epidural|caudal block|spinal an(?:a)?esthesia|regional an(?:a)?esthesia|"
        r"transforaminal (?:epidural|injection|block|steroid)|nerve root (?:block|infiltration)|"
        r"facet (?:joint )?injection",
        "nerve block / epidural injection",
        "procedure",
        "MeSH: Nerve Block; Injections, Epidural",
    ),
    (
        rf"dexamethasone|methylprednisolone|prednisolone|prednisone|hydrocortisone|betamethasone|triamcinolone|"
        rf"budesonide|fluticasone|mometasone|beclomethasone|{_W}(?:meth)?asone\b|{_W}olone\b|corticosteroid|glucocorticoid|\bsteroid",
        "corticosteroid",
        "drug",
        "INN -asone, -olone; ATC H02AB",
    ),
    (
        rf"ibuprofen|{_W}profen\b|naproxen|diclofenac|{_W}fenac\b|ketorolac|{_W}coxib\b|meloxicam|{_W}icam\b|\bnsaids?\b",
        "NSAID",
        "drug",
        "INN -profen, -fenac, -coxib, -icam",
    ),
    (r"paracetamol|acetaminophen", "paracetamol", "drug", "ATC N02BE01"),
    (r"montelukast|zafirlukast|{_W}lukast\b", "leukotriene antagonist", "drug", "INN -lukast"),
    (
        rf"salmeterol|formoterol|{_W}terol\b|tiotropium|{_W}tropium\b|bronchodilat",
        "bronchodilator",
        "drug",
        "INN -terol, -tropium",
    ),
    (rf"{_W}vir\b|antiviral|remdesivir|interferon", "antiviral", "drug", "INN -vir"),
    (
        rf"{_W}mycin\b|{_W}micin\b|{_W}cillin\b|\bcef\w+|{_W}floxacin\b|{_W}cycline\b|{_W}penem\b|"
        r"vancomycin|linezolid|metronidazole|trimethoprim|sulfamethoxazole|nitrofurantoin|fosfomycin|antibiotic",
        "antibiotic",
        "drug",
        "INN -mycin, -cillin, cef-, -floxacin, -cycline, -penem",
    ),
    (
        rf"{_W}conazole\b|{_W}fungin\b|amphotericin|antifungal",
        "antifungal",
        "drug",
        "INN -conazole, -fungin",
    ),
    (
        rf"{_W}platin\b|{_W}taxel\b|{_W}rubicin\b|{_W}tecan\b|{_W}citabine\b|azacitidine|decitabine|cytarabine|"
        rf"fludarabine|cladribine|clofarabine|cyclophosphamide|ifosfamide|{_W}fosfamide\b|melphalan|busulfan|"
        rf"treosulfan|bendamustine|temozolomide|etoposide|vincristine|vinblastine|vinorelbine|methotrexate|"
        rf"{_W}trexed\b|mitoxantrone|chemotherapy|conditioning regimen",
        "cytotoxic chemotherapy",
        "drug",
        "INN -platin, -taxel, -rubicin, -tecan, -citabine; ATC L01A-L01D",
    ),
    (
        rf"tamoxifen|letrozole|anastrozole|exemestane|fulvestrant|{_W}trozole\b|aromatase inhibitor",
        "endocrine therapy (breast cancer)",
        "hormone",
        "INN -trozole; ATC L02B",
    ),
    (
        r"testosterone|estradiol|oestradiol|estrogen|oestrogen|progesterone|progestin|levonorgestrel|"
        r"growth hormone|somatropin|levothyroxine|oxytocin|hormone replacement|hormone therapy",
        "sex / other hormone",
        "hormone",
        "ATC G03, H01, H03",
    ),
    (
        r"botulinum|onabotulinumtoxin|abobotulinumtoxin|\bbotox\b",
        "botulinum toxin",
        "drug",
        "ATC M03AX01",
    ),
    (
        r"tamsulosin|silodosin|alfuzosin|doxazosin|terazosin|{_W}osin\b|alpha[- ]?blocker",
        "alpha-1 blocker",
        "drug",
        "INN -osin",
    ),
    (
        r"finasteride|dutasteride|{_W}steride\b",
        "5-alpha reductase inhibitor",
        "drug",
        "INN -steride",
    ),
    (
        r"mirabegron|vibegron|oxybutynin|solifenacin|tolterodine|fesoterodine|trospium|darifenacin|"
        r"antimuscarinic|anticholinergic",
        "overactive-bladder drug",
        "drug",
        "ATC G04BD",
    ),
    (r"\bbcg\b|bacillus calmette", "BCG", "vaccine", "ATC L03AX03"),
    (
        r"\bfolic acid|folate|\b5-?mthf\b|methyltetrahydrofolate|vitamin b12|cobalamin",
        "folate / B vitamins",
        "dietary supplement",
        "ATC B03B",
    ),
    (
        r"vitamin d|cholecalciferol|ergocalciferol|calcitriol",
        "vitamin D",
        "dietary supplement",
        "ATC A11CC",
    ),
    (
        r"omega-?3|fish oil|krill oil|\bdha\b|\bepa\b|docosahexa|eicosapenta|\bpufa\b",
        "omega-3 fatty acids",
        "dietary supplement",
        "ATC C10AX06",
    ),
    (
        r"probiotic|prebiotic|lactobacill|bifidobacter|synbiotic",
        "probiotic / prebiotic",
        "dietary supplement",
        "MeSH: Probiotics",
    ),
    (
        r"\bsupplement|vitamin|curcumin|resveratrol|polyphenol|creatine|\bherbal|extract\b|ginseng|"
        r"magnesium|zinc|\biron\b|antioxidant",
        "dietary supplement",
        "dietary supplement",
        "MeSH: Dietary Supplements",
    ),
    (
        r"ketogenic|mediterranean diet|\bdiet\b|dietary (?:intervention|advice|pattern)|caloric restriction|intermittent fasting|time-restricted eating|"
        r"low[- ]carb|meal",
        "diet",
        "diet",
        "MeSH: Diet Therapy",
    ),
    (
        r"platelet[- ]rich plasma|\bprp\b|plasma exchange|plasmapheresis|immunoglobulin|\bivig\b|"
        r"albumin|transfusion|convalescent plasma",
        "blood product",
        "blood product",
        "MeSH: Blood Component Transfusion",
    ),
    # ---------------------------------------------------------------- devices by kind
    (
        r"transcranial|\btdcs\b|\btacs\b|\brtms\b|\btms\b|\bitbs\b|deep brain stimulation|\bdbs\b|"
        r"vagus nerve stimulation|\bvns\b|\btavns\b|neuromodulation|neurostimulat|\btens\b|electrical stimulation|"
        r"electroacupuncture",
        "brain / nerve stimulation",
        "device",
        "MeSH: Transcranial Direct Current Stimulation; Transcranial Magnetic Stimulation",
    ),
    (
        r"shock ?wave|\beswt\b|\bli-?eswt\b",
        "shockwave therapy",
        "device",
        "MeSH: Extracorporeal Shockwave Therapy",
    ),
    (
        r"continuous glucose|\bcgms?\b|dexcom|freestyle libre|\blibre\b|glucose sensor|flash glucose",
        "continuous glucose monitoring",
        "device",
        "MeSH: Blood Glucose Self-Monitoring (continuous)",
    ),
    (
        r"insulin pump|closed[- ]loop|artificial pancreas",
        "insulin pump / closed loop",
        "device",
        "MeSH: Insulin Infusion Systems",
    ),
    (
        r"ultrasound therapy|therapeutic ultrasound|sustained acoustic|phonophoresis|diathermy|laser therapy|"
        r"\bhilt\b|low[- ]level laser|photobiomodulation|\blllt\b|ultrasound group",
        "physical agent therapy (ultrasound, laser, diathermy)",
        "device",
        "MeSH: Ultrasonic Therapy; Low-Level Light Therapy",
    ),
    (
        r"focused ultrasound|\bfus\b|\bhifu\b",
        "focused ultrasound",
        "device",
        "MeSH: High-Intensity Focused Ultrasound Ablation",
    ),
    (
        r"\bcpap\b|positive airway pressure|\bnippv\b|ventilat",
        "positive airway pressure",
        "device",
        "MeSH: Continuous Positive Airway Pressure",
    ),
    (
        r"penile prosthesis|\bipp\b|vacuum erection",
        "penile prosthesis / vacuum device",
        "device",
        "MeSH: Penile Prosthesis",
    ),
    (
        r"glaucoma (?:drainage|implant|valve|stent|treatment system)|\bmigs\b|\bxen\d*\b|istent|miniject|"
        r"ahmed (?:glaucoma )?valve|baerveldt|micro ?stent|sclerost|sclerotomy|trabeculectomy|"
        r"trabecular|shunt|gel stent|supraciliary|suprachoroidal (?:stent|implant|device)",
        "glaucoma surgery / drainage implant",
        "procedure",
        "MeSH: Glaucoma Drainage Implants; Trabeculectomy; device names as their makers give them (XEN gel "
        "stent, iStent, MINIject, Ahmed and Baerveldt valves)",
    ),
    (r"hyperbaric", "hyperbaric oxygen", "device", "MeSH: Hyperbaric Oxygenation"),
    (
        r"light therapy|lighting intervention|bright light|phototherapy|40 ?hz|gamma (?:sensory|stimulation)",
        "light / sensory stimulation",
        "device",
        "MeSH: Phototherapy",
    ),
    # ---------------------------------------------------------------- procedures
    (
        r"acupunct|pharmacopunct|acupressure|dry needling",
        "acupuncture",
        "procedure",
        "MeSH: Acupuncture Therapy",
    ),
    (
        r"discectomy|diskectomy|microdiscectomy|nucleoplasty|spinal fusion|laminectomy|decompression surgery|"
        r"disc (?:replacement|arthroplasty|system)|cervical disc|interbody|\b[atpx]lif\b|\bacdf\b|"
        r"(?:spinal|lumbar|cervical) arthrodesis|pedicle (?:screw|fixation)",
        "spine surgery",
        "procedure",
        "MeSH: Diskectomy; Spinal Fusion",
    ),
    (r"prostatectomy", "prostatectomy", "procedure", "MeSH: Prostatectomy"),
    (
        r"phaco|cataract (?:surgery|removal|extraction)|\biol\b|intraocular lens",
        "cataract surgery",
        "procedure",
        "MeSH: Cataract Extraction",
    ),
    (
        r"gastrectomy|gastric bypass|bariatric",
        "bariatric surgery",
        "procedure",
        "MeSH: Bariatric Surgery",
    ),
    (
        r"\bcabg\b|coronary artery bypass",
        "coronary artery bypass",
        "procedure",
        "MeSH: Coronary Artery Bypass",
    ),
    (
        r"\bpci\b|percutaneous coronary|angioplasty|coronary stent",
        "percutaneous coronary intervention",
        "procedure",
        "MeSH: Percutaneous Coronary Intervention",
    ),
    (r"ablation", "ablation", "procedure", "MeSH: Ablation Techniques"),
    (
        r"lithotripsy|ureteroscopy|nephrolithotomy|\bpcnl\b|\burs\b|\brirs\b",
        "stone removal",
        "procedure",
        "MeSH: Lithotripsy; Ureteroscopy",
    ),
    (
        r"surgery|surgical|\b\w+ectomy\b|\b\w+otomy\b|\b\w+plasty\b|resection|transplantation|anastomosis|implantation",
        "surgery",
        "procedure",
        "MeSH: Surgical Procedures, Operative",
    ),
    # ---------------------------------------------------------------- radiation
    (
        r"radiotherap|radiation|irradiation|\bsbrt\b|\bsrs\b|\bimrt\b|brachytherap|proton (?:beam|therapy)|"
        r"gamma knife|\btmli?\b|\b\d+ ?gy\b",
        "radiotherapy",
        "radiation",
        "MeSH: Radiotherapy",
    ),
    # ---------------------------------------------------------------- exercise, behaviour, digital
    (
        r"exercise|physical activity|physiotherap|physical therapy|rehabilitat|"
        r"muscle training|stretching|yoga|tai ?chi|qigong|pilates|walking|aerobic|resistance training|"
        r"pelvic floor|inspiratory muscle|balance training|treadmill|wii-?fit|dance",
        "exercise or rehabilitation",
        "exercise or rehabilitation",
        "MeSH: Exercise Therapy; Rehabilitation",
    ),
    (
        r"cognitive (?:training|stimulation|rehabilitation|remediation)|memory training|brain training|"
        r"spaced retrieval|computeri[sz]ed cognitive",
        "cognitive training",
        "behavioural programme",
        "MeSH: Cognitive Training",
    ),
    (
        r"cognitive[- ]behavio|\bcbt(?:-i)?\b|psychotherap|acceptance and commitment|problem[- ]solving therapy|"
        r"interpersonal therapy|behavio(?:u)?ral therapy|counsel(?:l)?ing|motivational interview",
        "psychotherapy / CBT",
        "behavioural programme",
        "MeSH: Cognitive Behavioral Therapy; Psychotherapy",
    ),
    (
        r"mindfulness|meditation|relaxation|\bmbsr\b|breathing exercise",
        "mindfulness / relaxation",
        "behavioural programme",
        "MeSH: Mindfulness",
    ),
    (
        r"music therapy|music intervention|art therapy|reminiscence|snoezelen|aromatherapy|massage|doll therapy",
        "music / sensory / creative therapy",
        "behavioural programme",
        "MeSH: Music Therapy",
    ),
    (
        r"educat|psychoeducat|self-management|coaching|caregiver (?:support|training|intervention|program)|"
        r"support group|peer support|lifestyle|health promotion|care (?:program|management|model)|"
        r"navigat|case management|collaborative care|training program",
        "education / support / care programme",
        "behavioural programme",
        "MeSH: Patient Education as Topic; Caregivers",
    ),
    (
        r"\bapp\b|mobile|smartphone|web-?based|online|internet|telehealth|telemedicine|telemonitor|"
        r"tele-|text messag|\bsms\b|virtual reality|\bvr\b|digital|video game|computer|wearable|chatbot|"
        r"remote monitoring",
        "digital / telehealth tool",
        "digital tool",
        "MeSH: Telemedicine; Mobile Applications",
    ),
    # ---------------------------------------------------------------- diagnostics and sampling
    (
        r"\bpet\b|positron|\[1[18]\s?[cf]\]|(?<![\w-])(?:18f|11c)\b|\bf[- ]?18\b|\bpsma[- ]?(?:11|1007)\b|"
        r"piflufolastat|flotufolastat|florbeta\w+|flutemetamol|\bfdg\b|\bpib\b|"
        r"\bav-?45\b|tau (?:pet|imaging)|\bspect\b|datscan|\w+ga ?68|\b68 ?ga\b|\bga[- ]68\b|"
        r"gallium[- ]68|tracer",
        "PET / nuclear imaging",
        "diagnostic test",
        "MeSH: Positron-Emission Tomography; NCIt: Gallium Ga 68 Gozetotide (PSMA-11), Piflufolastat F-18, "
        "Flotufolastat F 18 (PSMA PET agents)",
    ),
    (
        r"\bmri\b|magnetic resonance|\bct\b(?: scan)?|computed tomography|ultrasound(?! therapy)|ultrasonograph|"
        r"echocardiograph|angiograph|x-?ray|radiograph|imaging|\beeg\b|electroencephal|polysomnograph|"
        r"actigraph|\boct\b|optical coherence",
        "imaging / physiological measurement",
        "diagnostic test",
        "MeSH: Diagnostic Imaging",
    ),
    (
        r"blood (?:draw|sample|test|collection)|biospecimen|biopsy|lumbar puncture|\bcsf\b|biomarker|"
        r"laboratory|genotyp|sequencing|genetic test|\bapoe\b|saliva|urine (?:sample|test)|screening|"
        r"questionnaire|survey|assessment|interview|cognitive test|neuropsycholog|data collection|"
        r"diagnostic|\bassay\b",
        "sampling / assessment",
        "diagnostic test",
        "MeSH: Diagnostic Techniques and Procedures",
    ),
)

# A record's intervention type -> the broad kind when no class matches (CT.gov types).
TYPE_KINDS: dict[str, str] = {
    "DRUG": "drug",
    "BIOLOGICAL": "drug",
    "COMBINATION_PRODUCT": "drug",
    "DEVICE": "device",
    "PROCEDURE": "procedure",
    "RADIATION": "radiation",
    "BEHAVIORAL": "behavioural programme",
    "DIETARY_SUPPLEMENT": "dietary supplement",
    "GENETIC": "gene therapy",
    "DIAGNOSTIC_TEST": "diagnostic test",
}
