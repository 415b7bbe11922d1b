"""Measure issue-24 physiology figures on a simulated cohort. usage: phys.py CONFIG N SEED"""
import sys, time
import numpy as np
from chestpain.kernel.config import load_config
from chestpain.simulation._params import ScenarioConfig
from chestpain.simulation._generator import simulate_frame
from chestpain.features import esc_0_1h_codes
from sklearn.metrics import roc_auc_score

from chestpain.simulation import load_scenario
cfg = load_scenario(sys.argv[1], sys.argv[4:])
n, seed = int(sys.argv[2]), int(sys.argv[3])
t = time.time()
df = simulate_frame(cfg, n, seed)
print(f"simulated {n} in {time.time()-t:.1f}s")
mi = df.mi.to_numpy(); female = (df.sex == "female").to_numpy(); male = ~female
t0, t1 = df.troponin_0h_ng_l.to_numpy(), df.troponin_1h_ng_l.to_numpy()
onset = df.symptom_onset_hours.to_numpy(); age = df.age.to_numpy()
lim = np.where(male, 34, 16)
early = onset <= 3
def p(mask, of): return f"{mask[of].mean()*100:.1f}% (n={of.sum()})"
print("MI prevalence", p(mi, np.ones_like(mi)))
if "acs" in df: print("ACS", p(df.acs.to_numpy(), np.ones_like(mi)), "UA", p(df.unstable_angina.to_numpy(), np.ones_like(mi)))
print("early share", p(early, np.ones_like(mi)))
print("MI early: 0h>99th", p(t0 > lim, mi & early), " late:", p(t0 > lim, mi & ~early))
print("MI early: 0h>=5", p(t0 >= 5, mi & early), " late:", p(t0 >= 5, mi & ~early), " all", p(t0>=5, mi))
esc = esc_0_1h_codes(t0, t1, onset)
for nm, g in (("women", female), ("men", male)):
    print(f"ESC sens early {nm}", p(esc != 0, mi & early & g), " late", p(esc != 0, mi & ~early & g), " all", p(esc != 0, mi & g))
print("ESC rule-out share", p(esc == 0, np.ones_like(mi)), "NPV", p(~mi, esc == 0), "PPV", p(mi, esc == 2))
for nm, g in (("women", female), ("men", male)):
    print(f"non-MI above own 99th {nm}", p(t0 > lim, ~mi & g), " 0/1h", p(np.maximum(t0,t1) > lim, ~mi & g))
for lo, hi in ((18, 50), (50, 75), (75, 101)):
    a = (age >= lo) & (age < hi)
    print(f"non-MI above sex 99th age {lo}-{hi}", p(np.maximum(t0,t1) > lim, ~mi & a))
ecg = df.ecg.to_numpy()
for e in ("normal", "nonspecific", "ischemic"):
    lr = (ecg[mi] == e).mean() / (ecg[~mi] == e).mean()
    print(f"ECG {e}: MI {p(ecg==e, mi)}  nonMI {p(ecg==e, ~mi)}  LR {lr:.2f}")
from chestpain.features.columns import SYMPTOMS
for s in SYMPTOMS:
    x = df[f"sx_{s}"].to_numpy()
    for nm, g in (("m", male), ("w", female)):
        lrp = x[mi & g].mean() / x[~mi & g].mean()
        print(f"  {s:26s} {nm} LR+ {lrp:.2f}  MI {x[mi&g].mean():.2f} nonMI {x[~mi&g].mean():.2f}")
print("oracle AUROC", roc_auc_score(mi, df.oracle_mi_probability))
s = df.interrupt_seconds.to_numpy(); print("interrupt median/q1/q3/max", np.percentile(s,[50,25,75,100]))
print("missed share", df.missed_mi[mi].mean())
