import sys, yaml, copy, numpy as np
from chestpain.simulation._params import ScenarioConfig
from chestpain.simulation._generator import simulate_frame
from chestpain.features import esc_0_1h_codes
from sklearn.metrics import roc_auc_score
BASE = yaml.safe_load(open('/work/main/configs/simulation/default.yaml'))
def comp(d, name): return next(c for c in d['presentation']['troponin']['components'] if c['name']==name)
def run(edit, n=300000, seed=11, verbose=False):
    d = copy.deepcopy(BASE); edit(d)
    cfg = ScenarioConfig.model_validate(d)
    df = simulate_frame(cfg, n, seed)
    mi = df.mi.to_numpy(); female=(df.sex=="female").to_numpy(); male=~female
    t0,t1 = df.troponin_0h_ng_l.to_numpy(), df.troponin_1h_ng_l.to_numpy(); onset=df.symptom_onset_hours.to_numpy()
    lim = np.where(male,34,16); early = onset<=3; age=df.age.to_numpy()
    esc = esc_0_1h_codes(t0,t1,onset)
    f = lambda m, of: m[of].mean()*100
    r = dict(mi=f(mi, mi|~mi), ua=f(df.unstable_angina.to_numpy(), mi|~mi),
      e99=f(t0>lim, mi&early), l99=f(t0>lim, mi&~early), e5=f(t0>=5, mi&early), a5=f(t0>=5, mi),
      a99_01=f(np.maximum(t0,t1)>lim, mi),
      escW=f(esc!=0, mi&female), escM=f(esc!=0, mi&male), escEW=f(esc!=0, mi&early&female), escEM=f(esc!=0, mi&early&male),
      npv=f(~mi, esc==0), share=f(esc==0, mi|~mi), ppv=f(mi, esc==2), chg6=f(np.abs(t1-t0)>=6, ~mi),
      nW=f(np.maximum(t0,t1)>lim, ~mi&female), nM=f(np.maximum(t0,t1)>lim, ~mi&male),
      n50=f(np.maximum(t0,t1)>lim, ~mi&(age<50)), n75=f(np.maximum(t0,t1)>lim, ~mi&(age>=50)&(age<75)), n100=f(np.maximum(t0,t1)>lim, ~mi&(age>=75)),
      auc=roc_auc_score(mi, df.oracle_mi_probability)*100, missed=f(df.missed_mi.to_numpy(), mi),
      aucM=roc_auc_score(df.mace_30d, df.oracle_mace_probability)*100, mace=f(df.mace_30d.to_numpy(), mi|~mi))
    print(" ".join(f"{k}={v:.1f}" if k not in ("auc","aucM") else f"{k}={v:.2f}" for k,v in r.items()), flush=True)
    return df
