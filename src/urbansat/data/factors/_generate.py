"""Regenerate the factor CSVs from the facts of shared/spec/sink-factors.md (run in this directory).

Kept so every derived number can be re-derived; the CSVs are the data.
"""
import csv

rows=[]
def r(cat,zone,par,val,lo,hi,src,tab,tag,note):
    unit = "t C ha-1 yr-1" if par in ("removal","soil_accumulation") else "t C ha-1"
    f=lambda x: "" if x is None else f"{x:.6g}"
    rows.append({"category": cat,"climate_zone": zone,"parameter": par,"value": f(val),"low": f(lo),"high": f(hi),"unit": unit,"source": src,"table": tab,"tag": tag,"note": note})
CF,CFL,CFH=0.47,0.44,0.49
G06="IPCC 2006 GL Vol 4"; R19="IPCC 2019 Refinement Vol 4"; WS="IPCC 2013 Wetlands Supplement Ch 4"
forest={
 "tropical_rainforest_africa":{"agb": 310,"R": 0.37,"g": 3.5,"glo": 1.3,"ghi": 7.6,"tagg": "V","soil": "tropical wet",
    "gnote": "secondary >20 y 3.5 (low: old-growth 1.3, Requena Suarez 2019; high: secondary <=20 y 7.6)"},
 "tropical_rainforest_asia":{"agb": 280,"R": 0.37,"g": 2.7,"glo": 0.7,"ghi": 3.4,"tagg": "V","soil": "tropical wet",
    "gnote": "secondary >20 y 2.7 (low: old-growth 0.7, Requena Suarez 2019; high: secondary <=20 y 3.4); AGB Asia continental"},
 "subtropical_humid_asia":{"agb": 180,"R": 0.24,"g": 1.0,"glo": 1.0,"ghi": 2.5,"tagg": "C","soil": "tropical moist",
    "gnote": "secondary >20 y 1.0 (high: secondary <=20 y 2.5; no old-growth value in the source, so low = value); AGB Asia continental [U]"},
}
soil={ # HAC, LAC, Sandy, Volcanic, Wetland ; F_LU cropland long-term cultivated
 "tropical wet":{"hac": 44,"lac": 60,"sandy": 66,"volc": 130,"wet": 86,"flu": 0.48},
 "tropical moist":{"hac": 65,"lac": 47,"sandy": 39,"volc": 70,"wet": 86,"flu": 0.48},
}
for z,p in forest.items():
    agb=p["agb"]; R=p["R"]
    tagagb = "U" if z=="subtropical_humid_asia" else "M"
    r("forest",z,"c_above",agb*CF,agb*CFL,agb*CFH,f"{G06}","Table 4.7 (AGB) x Table 4.3 (CF)",tagagb,
      f"AGB {agb} t d.m./ha x CF 0.47; range from CF 0.44-0.49 only (no AGB range in source)")
    r("forest",z,"c_below",agb*CF*R,agb*CFL*R,agb*CFH*R,f"{G06}","Table 4.4 (R) x c_above","M",
      f"c_above x root:shoot R {R}; range from CF only")
    k=(1+R)*CF
    r("forest",z,"removal",p["g"]*k,p["glo"]*(1+R)*CFL,p["ghi"]*(1+R)*CFH,f"{R19}","Table 4.9 (net AGB growth) x (1+R, 2006 Table 4.4) x CF",p["tagg"],
      f"G x (1+{R}) x 0.47; {p['gnote']}; AGB+BGB as GFW removals")
    s=soil[p["soil"]]
    mins=min(s["hac"],s["lac"],s["sandy"],s["volc"]); maxs=max(s["hac"],s["lac"],s["sandy"],s["volc"])
    snote=f"SOC_REF 0-30 cm, IPCC climate '{p['soil']}', HAC soil; range = min-max over HAC/LAC/Sandy/Volcanic of that climate"
    r("forest",z,"c_soil",s["hac"],mins,maxs,G06,"Table 2.3","M",snote+"; native forest F=1")
    r("shrub",z,"c_soil",s["hac"],mins,maxs,G06,"Table 2.3","M",snote+"; native vegetation F=1")
    r("grassland",z,"c_soil",s["hac"],mins,maxs,G06,"Table 2.3 x Table 6.2 (F_MG nominal 1.0)","M",snote+"; nominally managed grassland F_MG=1.0")
    r("cropland",z,"c_soil",s["hac"]*s["flu"],mins*s["flu"],maxs*s["flu"],G06,"Table 2.3 x Table 5.5 (F_LU)","M",snote+f"; x F_LU {s['flu']} long-term cultivated (tropical moist/wet), F_MG=F_I=1")
    r("sandy_land",z,"c_soil",s["sandy"],None,None,G06,"Table 2.3 (Sandy column)","M","Sandy soil SOC_REF; no range in source")
    r("wetland",z,"c_soil",s["wet"],None,None,G06,"Table 2.3 (Wetland column)","M","Wetland soil SOC_REF (tropical); no range in source")
    # grassland biomass, tropical moist/wet 6.2/16.1
    r("grassland",z,"c_above",6.2*CF,None,None,G06,"Table 6.4 (AGB) x herbaceous CF 0.47 (Ch 6)","M","AGB 6.2 t d.m./ha, tropical moist/wet; no range in source")
    r("grassland",z,"c_below",(16.1-6.2)*CF,None,None,G06,"Table 6.4 (total - AGB) x CF 0.47","M","(16.1 - 6.2) t d.m./ha, tropical moist/wet")
    r("grassland",z,"removal",0,0,0,G06,"Ch 6 Tier 1","M","Tier 1: zero biomass change for grassland remaining grassland")
    r("cropland",z,"removal",0,0,0,G06,"Ch 5 Tier 1","M","Tier 1: zero biomass change for annual cropland remaining cropland")
    # mangrove
    if z.startswith("tropical"):
        agb,R,g,mz=192,0.49,9.9,"tropical wet"; tag="V*"
    else:
        agb,R,g,mz=75,0.96,18.1,"subtropical"; tag="U"
    MCF=0.451
    r("mangrove",z,"c_above",agb*MCF,None,None,WS,"Table 4.3 (AGB) x Table 4.2 (CF 0.451)",tag,f"{mz} mangrove AGB {agb} t d.m./ha; no range in source")
    r("mangrove",z,"c_below",agb*MCF*R,None,None,WS,"Table 4.5 (R) x c_above","V",f"R {R} ({mz})")
    r("mangrove",z,"c_dead",10.7+0.7,None,None,WS,"Table 4.7","V*","dead wood 10.7 + litter 0.7 t C/ha")
    r("mangrove",z,"c_soil",386,286,471,WS,"Table 4.11","M","all soils 386; low = mineral 286, high = organic 471")
    r("mangrove",z,"removal",g*(1+R)*MCF,None,None,WS,"Table 4.4 (AGB growth) x (1+R, Table 4.5) x CF 0.451","M",f"{mz} growth {g} t d.m./ha/yr; no range in source")
    r("mangrove",z,"soil_accumulation",1.62,1.3,2.0,WS,"Table 4.12","M","rewetted, revegetated or created mangrove")
    r("salt_marsh",z,"c_soil",255,None,None,WS,"Table 4.11","M","tidal marsh soil C; no range in source")
    r("salt_marsh",z,"soil_accumulation",0.91,0.7,1.1,WS,"Table 4.12","M","tidal marsh")
    r("salt_marsh",z,"removal",0,0,0,WS,"Ch 4 (no biomass default)","U","no Tier 1 biomass growth default in the source; biomass taken as steady state, the sink is soil accumulation")
    r("seagrass",z,"c_soil",108,None,None,WS,"Table 4.11","M","seagrass soil C; no range in source")
    r("seagrass",z,"soil_accumulation",0.43,0.2,0.7,WS,"Table 4.12","M","seagrass meadows")
    r("seagrass",z,"removal",0,0,0,WS,"Ch 4 (no biomass default)","U","no Tier 1 biomass growth default in the source; biomass taken as steady state, the sink is soil accumulation")
for cat in ("built_up","water","snow_ice","bare"):
    for par in ("c_above","c_below","c_dead","c_soil","removal"):
        r(cat,"*",par,0,0,0,"urbansat convention","-","U","non-sink class: no accounted carbon (as in InVEST sample tables); override with a user table where settlement or water carbon matters")
with open("ipcc2019_tier1_v1.csv","w",newline="") as fh:
    fh.write("# urbansat factor table ipcc2019 v1: IPCC 2006 GL Vol 4 / 2019 Refinement Tier 1 and 2013 Wetlands Supplement Ch 4.\n")
    fh.write("# Facts from shared/spec/sink-factors.md; derived values show the arithmetic in 'note'. Empty = no default (FactorError unless supplied).\n")
    fh.write("# Tags: V seen in source; V* confirmed indirectly; C third-party compilation; M recalled IPCC value; U uncertain.\n")
    w=csv.DictWriter(fh,fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
rows.clear()
LIT="Fang et al. 2007 (Sci China D 37:804); Lai 2010 (Nanjing Univ. thesis)"
def lit(cat,val,lo,hi,note):
    r(cat,"*","removal",val,lo,hi,LIT,"land-use carbon coefficient method","U",note)
lit("forest",0.581,None,None,"coefficient -0.581 t C/ha/yr (negative = sink) sign-flipped; national 1981-2000 mean; no range in source")
lit("grassland",0.021,None,None,"coefficient -0.021 sign-flipped; no range in source")
lit("wetland",0.253,0.248,0.567,"water/wetland coefficient -0.253 (variants -0.248, -0.567) sign-flipped")
lit("water",0.253,0.248,0.567,"water/wetland coefficient -0.253 (variants -0.248, -0.567) sign-flipped")
lit("sandy_land",0.005,None,None,"unused land coefficient -0.005 sign-flipped; no range in source")
lit("bare",0.005,None,None,"unused land coefficient -0.005 sign-flipped; no range in source")
lit("cropland",-0.422,-0.497,-0.422,"coefficient +0.422 (variant +0.497) is an emission; sign-flipped")
r("built_up","*","removal",0,0,0,"urbansat convention","-","U","built-up emissions belong to the energy inventory, not to this coefficient method")
r("snow_ice","*","removal",0,0,0,"urbansat convention","-","U","no coefficient in the source; snow and ice taken as carbon-neutral")
with open("china_literature_v1.csv","w",newline="") as fh:
    fh.write("# urbansat factor table china_literature v1: land-use carbon coefficient method (tan pai fang xi shu fa), a literature preset, not a default.\n")
    fh.write("# Net rates per hectare of the class, + = removal (the source tables use - = sink). Facts from shared/spec/sink-factors.md section 4 [U: provenance not verified].\n")
    fh.write("# No stock pools: conversions carry no separate term (coefficient method). Empty low/high = no range in source.\n")
    w=csv.DictWriter(fh,fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
