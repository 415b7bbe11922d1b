"""The parts every results page shares: its skeleton, its figure links and the sources it can cite.

Every page opens with what kind of evidence it is (simulated, or public data with a CAD label), then the
headline, the tables with 95% intervals, the figures, the assumptions each result rests on, the sources of its
clinical numbers, and the settings that regenerate it. Each study's page is rendered by ``_<study>_page.py``.
"""

from __future__ import annotations

from typing import Any

from chestpain.experiments._report import SIMULATED_NOTE, bullets, figure_file, settings_table

SOURCES = {
    "pope": "Pope JH, Aufderheide TP, Ruthazer R, et al. Missed diagnoses of acute cardiac ischemia in the "
    "emergency department. N Engl J Med 2000;342:1163-70.",
    "singh_ospina": "Singh Ospina N, Phillips KA, Rodriguez-Gutierrez R, et al. Eliciting the patient's agenda: "
    "secondary analysis of recorded clinical encounters. J Gen Intern Med 2019;34:36-40.",
    "lee": "Lee P, Le Saux M, Siegel R, et al. Racial and ethnic disparities in the management of acute pain in US "
    "emergency departments: meta-analysis and systematic review. Am J Emerg Med 2019;37:1770-7.",
    "shah": "Shah ASV, Griffiths M, Lee KK, et al. High sensitivity cardiac troponin and the under-diagnosis of "
    "myocardial infarction in women: prospective cohort study. BMJ 2015;350:g7873.",
    "virgo": "Lichtman JH, Leifheit EC, Safdar B, et al. Sex differences in the presentation and perception of "
    "symptoms among young patients with myocardial infarction (VIRGO). Circulation 2018;137:781-90.",
    "van_oosterhout": "van Oosterhout REM, de Boer AR, Maas AHEM, et al. Sex differences in symptom presentation in "
    "acute coronary syndromes: a systematic review and meta-analysis. J Am Heart Assoc 2020;9:e014733.",
    "seed": "Trust Is a 2-Way Street: Fostering Trust in Patient-Provider Relationships (the project's source "
    "document, shared/seed/); its figures are cited to its notes 1-7.",
    "hess": "Hess EP, Knoedler MA, Shah ND, et al. The chest pain choice decision aid: a randomized trial. "
    "Circ Cardiovasc Qual Outcomes 2012;5:251-9.",
    "backus": "Backus BE, Six AJ, Kelder JC, et al. A prospective validation of the HEART score for chest pain "
    "patients at the emergency department. Int J Cardiol 2013;168:2153-8.",
    "esc": "Collet JP, Thiele H, Barbato E, et al. 2020 ESC Guidelines for the management of acute coronary "
    "syndromes in patients presenting without persistent ST-segment elevation. Eur Heart J 2021;42:1289-367.",
    "code_acs": "Doudesis D, Lee KK, Boeddinghaus J, et al. Machine learning for diagnosis of myocardial "
    "infarction using cardiac troponin concentrations (CoDE-ACS). Nat Med 2023;29:1201-10.",
    "mi3": "Than MP, Pickering JW, Sandoval Y, et al. Machine learning to predict the likelihood of acute "
    "myocardial infarction (MI3). Circulation 2019;140:899-909.",
    "detrano": "Detrano R, Janosi A, Steinbrunn W, et al. International application of a new probability "
    "algorithm for the diagnosis of coronary artery disease. Am J Cardiol 1989;64:304-10; data: Janosi A, "
    "Steinbrunn W, Pfisterer M, Detrano R. Heart Disease. UCI Machine Learning Repository, 1988. "
    "doi:10.24432/C52P4X.",
    "swap": "Swap CJ, Nagurney JT. Value and limitations of chest pain history in the evaluation of patients with "
    "suspected acute coronary syndromes. JAMA 2005;294:2623-9.",
    "panju": "Panju AA, Hemmelgarn BR, Guyatt GH, Simel DL. Is this patient having a myocardial infarction? JAMA "
    "1998;280:1256-63.",
    "welch": "Welch RD, Zalenski RJ, Frederick PD, et al. Prognostic value of a normal or nonspecific initial "
    "electrocardiogram in acute myocardial infarction. JAMA 2001;286:1977-84.",
    "early_presenters": "hs-cTnI at presentation in early (<= 3 h) vs later presenters with suspected MI. Eur Heart "
    "J 2023;44:2846 (cited by journal, volume and page, as in the project's research notes).",
    "lowry": "Lowry MTH, et al. Influence of age on the diagnosis of myocardial infarction. Circulation 2022 "
    "(High-STEACS; cited as in the project's research notes).",
    "puelacher": "Puelacher C, et al. Unstable angina in the era of high-sensitivity cardiac troponin (High-STEACS "
    "and APACE). Heart 2019 (cited as in the project's research notes).",
    "open_heart_oz": "Resolving the observe zone: validation of the ESC 0/3-hour and the APACE criteria for NSTEMI "
    "triage. Open Heart 2025;12:e003047.",
    "hanley": "Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating characteristic "
    "(ROC) curve. Radiology 1982;143:29-36.",
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent proportions. Stat Med "
    "1998;17:873-90.",
}


def _page(
    config: Any,
    headline: str,
    sections: list[tuple[str, str]],
    assumptions: list[str],
    sources: list[str],
    *,
    note: str = SIMULATED_NOTE,
) -> str:
    parts = [
        f"# {config.title}",
        note,
        f"**Headline.** {headline}",
        f"Regenerate with `chestpain experiment run configs/experiments/{config.name}.yaml` (settings at the end of "
        "this page; the same config and seed give the same files). The run is also logged to MLflow with its "
        "headline metrics and these files, never patient rows.",
    ]
    for title, body in sections:
        parts += [f"## {title}", body]
    parts += ["## Assumptions", bullets(assumptions)]
    parts += ["## Sources", bullets(SOURCES[key] for key in sources)]
    parts += ["## Settings", settings_table(config)]
    return "\n\n".join(parts)


def _figure_link(config: Any, suffix: str, caption: str) -> str:
    return f"![{caption}]({figure_file(config.name, suffix)})"
