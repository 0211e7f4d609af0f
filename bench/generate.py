#!/usr/bin/env python3
"""Deterministic generator of realistic `ladder` evidence packets, one JSON object a line (JSONL).

    python bench/generate.py --count 10000 --seed 42 --out packets.jsonl
    python bench/generate.py --count 500 --seed 7 --invalid-rate 0.1 --out mixed.jsonl

Every packet is valid against schemas/packet.schema.json and the semantic checks (unique evidence
ids, dates inside the period, a target above the current level on its track, mentees below the
target, feedback never from the candidate) unless --invalid-rate corrupts it on purpose.

The mix: every current level (external, associate-pm, mid-pm, senior-pm, director, principal-pm),
both tracks, some skip-level and one track switch (principal-pm -> vp), 5 to 40 records drawn from
all 12 evidence types. Each candidate has a strength profile; for every criterion on their path
the generator adds the evidence that meets it (likely for strong candidates), or a near miss, then
fills up with ordinary records. The result is a spread of ready and not_ready verdicts and a few
insufficient_evidence ones (stale evidence).

Packet i depends only on (seed, i): no clock, no global random state, and the same packets come
out whatever --count or --invalid-rate is (corruption draws from its own stream). The generator
is self-contained (no import of `ladder`): the same seed gives the same packets even after the
rules change, so benchmark figures stay comparable; the verdict mix may drift with the rules.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from typing import Any, Callable, Iterator

# --- the ladder (contract section 1); kept here on purpose, see the module docstring ----------
ORDER = {"associate-pm": 1, "mid-pm": 2, "senior-pm": 3, "director": 4, "vp": 5, "principal-pm": 4}
ALIASES = {"associate-pm": ["apm", "junior-pm"], "mid-pm": ["mid-level-pm"], "senior-pm": ["lead-pm"],
           "director": ["group-pm", "gpm"], "vp": ["vp-product", "cpo"],
           "principal-pm": ["staff-pm", "product-architect"]}
TRACKS = {"management": ["associate-pm", "mid-pm", "senior-pm", "director", "vp"],
          "ic": ["associate-pm", "mid-pm", "senior-pm", "principal-pm"]}
EVIDENCE_TYPES = ["artifact", "business_ownership", "decision", "discovery", "executive_engagement", "learning",
                  "mentoring", "org_initiative", "people_leadership", "risk_raised", "shipped_outcome",
                  "stakeholder_feedback"]

# (weight, current, target, tracks that may be written explicitly). Skip-level rows are marked.
SCENARIOS = [
    (7.0, "external", "associate-pm", ["management", "ic"]),
    (2.0, "external", "mid-pm", ["management", "ic"]),
    (2.0, "external", "senior-pm", ["management", "ic"]),
    (0.7, "external", "director", ["management"]),
    (0.5, "external", "principal-pm", ["ic"]),
    (17.0, "associate-pm", "mid-pm", ["management", "ic"]),
    (2.0, "associate-pm", "senior-pm", ["management", "ic"]),  # skip-level
    (21.0, "mid-pm", "senior-pm", ["management", "ic"]),
    (1.5, "mid-pm", "director", ["management"]),  # skip-level
    (1.0, "mid-pm", "principal-pm", ["ic"]),  # skip-level
    (12.0, "senior-pm", "director", ["management"]),
    (8.0, "senior-pm", "principal-pm", ["ic"]),
    (1.0, "senior-pm", "vp", ["management"]),  # skip-level
    (11.0, "director", "vp", ["management"]),
    (8.0, "principal-pm", "vp", ["management"]),  # track switch: IC to management
]

# name: (weight, p(required criterion evidenced), p(supporting criterion evidenced), p(near miss))
PROFILES = {"strong": (38, 0.96, 0.70, 0.5), "borderline": (32, 0.75, 0.50, 0.7), "weak": (30, 0.40, 0.30, 0.7)}
P_STALE = 0.03  # most evidence older than the sufficiency window -> insufficient_evidence

# --- vocabulary for realistic values --------------------------------------------------------------
FIRST = ["Ada", "Bram", "Chiara", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Mira",
         "Nadia", "Oren", "Priya", "Quentin", "Rosa", "Sami", "Tove", "Uma", "Viktor", "Wen", "Ximena", "Yusuf",
         "Zora", "Alba", "Bastian", "Cleo", "Dario", "Esme", "Farid", "Gale", "Hana", "Ivo", "Jun", "Kai", "Lena"]
LAST = ["Obi", "Varga", "Lindqvist", "Moreau", "Tanaka", "Okafor", "Brennan", "Castell", "Demir", "Esposito",
        "Falk", "Grau", "Halloran", "Ibarra", "Janssen", "Kowal", "Laine", "Mbeki", "Novak", "Orsini", "Petrov",
        "Quist", "Rahman", "Sato", "Thorne", "Ueda", "Vance", "Weller", "Xu", "Yilmaz", "Zamora", "Aalto"]
PRODUCTS = ["checkout", "onboarding", "search", "billing", "notifications", "admin console", "mobile app",
            "reporting", "payments", "identity", "marketplace", "pricing page", "data export", "integrations",
            "help centre", "workspace", "analytics", "recommendations", "invoicing", "scheduling", "trial flow"]
SHIP_FORMS = ["{p} redesign", "{p} v2", "Self-serve {p}", "Faster {p}", "{p} for enterprise", "{p} revamp",
              "New {p} experience", "{p} localisation", "{p} accessibility pass", "{p} performance work",
              "Usage-based {p}", "{p} API"]
ARTIFACT_FORMS = {
    "user-stories": "User stories for {p}", "spec": "{P} spec", "prd": "PRD: {p}", "tickets": "{P} backlog tickets",
    "status-update": "Weekly {p} update", "roadmap": "{P} roadmap H{h}", "strategy": "{P} strategy",
    "vision": "{P} three-year vision", "narrative": "{P} narrative", "decision-record": "Decision record: {p}",
    "technical-design": "{P} technical design", "research-report": "{P} research report",
    "playbook": "{P} launch playbook", "framework": "Prioritisation framework for {p}",
    "talk": "Talk: lessons from {p}",
    "article": "Article: how we rebuilt {p}", "board-deck": "Board update: {p}", "operating-plan": "{P} operating plan",
    "business-case": "Business case: {p}", "postmortem": "Postmortem: {p} incident"}
ARTIFACTS_BY_TIER = {  # what people at each level mostly write (any kind can still turn up)
    1: ["user-stories", "tickets", "spec", "status-update"],
    2: ["spec", "prd", "user-stories", "status-update", "research-report", "technical-design"],
    3: ["prd", "roadmap", "decision-record", "research-report", "strategy", "postmortem", "business-case"],
    4: ["strategy", "roadmap", "vision", "narrative", "framework", "playbook", "talk", "operating-plan"],
    5: ["vision", "strategy", "board-deck", "operating-plan", "business-case", "article", "narrative"]}
METRICS = [  # name, kind, unit, higher_is_better, baseline low, baseline high
    ("checkout conversion", "business", "%", True, 1.5, 4.0),
    ("trial-to-paid conversion", "business", "%", True, 8, 20),
    ("net revenue retention", "business", "%", True, 95, 115),
    ("monthly recurring revenue", "business", "kUSD", True, 200, 5000),
    ("average order value", "business", "USD", True, 30, 120), ("logo churn", "business", "%", False, 1.5, 6),
    ("weekly active users", "user", "k", True, 10, 500), ("task success rate", "user", "%", True, 60, 90),
    ("CSAT", "user", "pts", True, 70, 90), ("time to first value", "user", "min", False, 10, 60),
    ("activation rate", "user", "%", True, 20, 60), ("p95 latency", "operational", "ms", False, 300, 1500),
    ("support tickets per 1k users", "operational", "tickets", False, 5, 40),
    ("deploy frequency", "operational", "per week", True, 2, 20),
    ("crash-free sessions", "quality", "%", True, 97, 99.5),
    ("defect escape rate", "quality", "%", False, 2, 10)]
ROLES_TEXT = {"manager": ["Head of Product", "Group PM", "Director of Product"],
              "skip-level": ["VP Product", "Director of Product"], "peer": ["Product manager", "Senior PM"],
              "direct-report": ["Product manager", "Associate PM"],
              "cross-functional": ["Engineering lead", "Design lead", "Data science lead", "QA lead", "Marketing lead"],
              "executive": ["CTO", "VP Engineering", "COO", "CFO", "Chief Revenue Officer"],
              "customer": ["Customer admin", "Customer advisory board member"], "partner": ["Partner solutions lead"]}
QUOTES = ["Brought clarity when the launch slipped.", "Always knows why we are building something.",
          "Writes specs the team can build from without a meeting.",
          "Raised the risk early and we avoided a bad quarter.",
          "Made the trade-off explicit and the room agreed quickly.", "Our go-to person for hard calls in this area.",
          "Follows through, every time.", "Helped me grow faster than any manager I have had.",
          "Could involve engineering earlier in discovery.", "Sometimes overcommits the team.",
          "Great partner during the incident.", "Explains the numbers so that everyone understands them."]
NOTES = ["Context and links in the wiki.", "Shared at the monthly product review.",
         "Outcome measured over two release cycles.", "Worked closely with design and data science.",
         "Follow-up work planned for next quarter.", "Written up for the wider product org."]
THEMES = ["documentation", "dependability", "delivery", "product-thinking", "technical-curiosity",
          "structured-communication", "initiative", "judgment", "alignment", "collaboration", "prioritisation",
          "discovery", "outcome-ownership", "stakeholder-management", "influence", "strategic-vision", "mentorship",
          "systems-thinking", "executive-communication", "ambiguity", "cross-org-influence", "team-development",
          "org-design", "executive-collaboration", "portfolio-tradeoffs", "cultural-leadership", "vision",
          "board-readiness", "talent-management", "business-acumen", "change-management", "domain-expertise",
          "thought-leadership", "quality", "customer-obsession", "narrative", "learning"]
TYPE_THEMES = {  # the themes an author would likely tag each type with
    "shipped_outcome": ["delivery", "outcome-ownership", "product-thinking", "quality", "customer-obsession",
                        "collaboration", "ambiguity", "initiative"],
    "stakeholder_feedback": ["dependability", "collaboration", "alignment", "structured-communication", "influence",
                             "judgment", "stakeholder-management", "documentation", "mentorship", "initiative",
                             "product-thinking", "executive-communication", "cultural-leadership"],
    "artifact": ["documentation", "structured-communication", "strategic-vision", "vision", "narrative",
                 "product-thinking", "thought-leadership"],
    "decision": ["judgment", "prioritisation", "portfolio-tradeoffs", "systems-thinking", "ambiguity"],
    "discovery": ["discovery", "customer-obsession", "product-thinking", "learning"],
    "learning": ["learning", "technical-curiosity", "domain-expertise", "business-acumen"],
    "mentoring": ["mentorship", "team-development", "talent-management"],
    "executive_engagement": ["executive-communication", "executive-collaboration", "influence", "board-readiness",
                             "strategic-vision"],
    "business_ownership": ["business-acumen", "outcome-ownership", "portfolio-tradeoffs"],
    "org_initiative": ["org-design", "change-management", "cultural-leadership", "cross-org-influence", "quality"],
    "people_leadership": ["team-development", "talent-management", "org-design", "mentorship"],
    "risk_raised": ["judgment", "systems-thinking", "dependability", "stakeholder-management"],
}
RELATIONSHIPS = ["manager", "skip-level", "peer", "direct-report", "cross-functional", "executive", "customer",
                 "partner"]
LMH, TF, ROLES = ["low", "medium", "high"], [True, False], ["led", "co-led", "contributed"]
SCOPES = ["feature", "product-area", "cross-team", "portfolio", "company"]
# Ordinary records: how often each type appears (mentoring only when a mentee can be below target).
TYPE_WEIGHTS = {"shipped_outcome": 16, "stakeholder_feedback": 18, "artifact": 14, "decision": 10, "discovery": 9,
                "learning": 6, "risk_raised": 6, "mentoring": 5, "executive_engagement": 5, "org_initiative": 4,
                "people_leadership": 4, "business_ownership": 3}
LEARNING_TOPICS = {"technical": "event pipelines", "domain": "payments regulation", "business": "SaaS unit economics",
                   "craft": "experiment design", "leadership": "coaching"}
PEOPLE_TITLES = {"managing": "Managing the {p} PMs", "hiring": "Hiring PMs for {p}", "coaching": "Coaching PMs",
                 "performance-management": "Performance reviews", "career-development": "Career plans for the team",
                 "team-structure": "Reorganising the {p} teams", "goal-setting": "Team goals for {p}",
                 "succession": "Succession plan"}
CYCLE_ENDS = ["2024-06-30", "2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31",
              "2026-06-30"]
assert set(TYPE_WEIGHTS) == set(EVIDENCE_TYPES) == set(TYPE_THEMES)  # every type turns up


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class Gen:
    """One packet's generator: its random stream, the candidate and period, and record builders."""

    def __init__(self, rng: random.Random, cid: str, tier: int, target: str, start: dt.date, end: dt.date):
        self.r = rng
        self.cid = cid
        self.tier = tier  # order of the target level: biases scope, forum and people numbers
        self.target = target
        self.start, self.end = start, end

    # small helpers ------------------------------------------------------------------------------
    def one(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def scope(self) -> str:
        lo = {1: 0, 2: 0, 3: 1, 4: 1, 5: 2}[self.tier]
        hi = {1: 1, 2: 2, 3: 3, 4: 4, 5: 4}[self.tier]
        return SCOPES[self.r.randint(lo, hi)]

    def product(self) -> str:
        return self.one(PRODUCTS)

    def themes(self, pool: list[str] | None = None, k: int | None = None) -> list[str]:
        pool = pool or THEMES
        k = k if k is not None else self.r.randint(1, 3)
        return self.r.sample(pool, min(k, len(pool)))

    def some(self, rec: dict, **spec: tuple[float, list]) -> None:
        """Optional fields: each key=(p, values) is set, with probability p, to one of values."""
        for key, (p, values) in spec.items():
            if self.chance(p):
                rec[key] = self.one(values)

    def person(self) -> str:
        return f"emp-{self.r.randint(1000, 9999)}"  # never the candidate's gen-... id

    def metric(self, kinds: list[str] | None = None, improved: bool | None = None) -> dict:
        pool = [m for m in METRICS if kinds is None or m[1] in kinds]
        name, kind, unit, hib, lo, hi = self.one(pool)
        base = round(self.r.uniform(lo, hi), 2)
        better = improved if improved is not None else self.chance(0.75)
        up = self.r.uniform(0.03, 0.35) if better == hib else -self.r.uniform(0.02, 0.2)
        result = base * (1 + up)
        if unit == "%" and result > base:
            result = min(result, base + (100 - base) / 2)  # percentages stay below 100
        result = round(result, 2)
        m = {"name": name, "kind": kind, "baseline": base, "result": result, "unit": unit}
        if not hib:
            m["higher_is_better"] = False
        return m

    def metrics(self, kinds: list[str] | None = None, improved: bool | None = None) -> list[dict]:
        """One to three metrics; with `improved` given, the first is of `kinds` and goes that way."""
        out = [self.metric(kinds, improved)] if improved is not None else []
        for _ in range(self.r.randint(0 if out else 1, 2)):
            out.append(self.metric(None, None if improved is None else (False if not improved else None)))
        return out

    def common(self, rec: dict) -> dict:
        """Optional fields every type has (the title comes last, from the final fields: see title())."""
        if self.chance(0.55):
            pool = TYPE_THEMES.get(rec["type"], THEMES) if self.chance(0.85) else THEMES
            rec["themes"] = self.themes(pool)
        if self.chance(0.15):
            rec["notes"] = self.one(NOTES)
        if self.chance(0.08):
            rec["links"] = [f"https://wiki.example.com/{self.product().replace(' ', '-')}/{self.r.randint(100, 999)}"]
        return rec

    # ordinary records, one builder per evidence type ------------------------------------------
    def shipped_outcome(self) -> dict:
        rec = self.common({"type": "shipped_outcome"})
        rec["role"] = self.one(["led", "led", "co-led", "contributed"] if self.tier > 1 else ["co-led", "contributed"])
        rec["scope"] = self.scope()
        self.some(rec, on_time=(0.7, [True, True, False]),
                  quality=(0.5, ["below-bar", "met-bar", "met-bar", "exceeded"]),
                  risk=(0.5, LMH), ambiguity=(0.3, LMH), self_initiated=(0.25, TF), end_to_end=(0.4, TF),
                  challenged_plan=(0.15, TF))
        if rec["scope"] in ("cross-team", "portfolio", "company") and self.chance(0.5):
            rec["teams"] = self.r.randint(2, 8)
        if self.chance(0.7):
            rec["metrics"] = self.metrics()
        return rec

    def stakeholder_feedback(self) -> dict:
        rel = self.one(RELATIONSHIPS)
        frm: dict[str, Any] = {"relationship": rel}
        if self.chance(0.8):
            frm["id"] = self.person()
        if self.chance(0.7):
            frm["role"] = self.one(ROLES_TEXT[rel])
        rec: dict[str, Any] = {"type": "stakeholder_feedback", "from": frm,
                               "rating": self.one([2, 3, 3, 4, 4, 4, 5, 5])}
        if self.chance(0.6):
            rec["themes"] = self.themes(TYPE_THEMES["stakeholder_feedback"] if self.chance(0.85) else THEMES)
        if self.chance(0.5):
            rec["quote"] = self.one(QUOTES)
        if self.chance(0.2):
            rec["sought_input"] = self.one([True, False])
        return rec

    def artifact(self) -> dict:
        kind = self.one(ARTIFACTS_BY_TIER[self.tier] + list(ARTIFACT_FORMS))
        rec = self.common({"type": "artifact"})
        rec["kind"] = kind
        self.some(rec, audience=(0.6, ["team", "cross-functional", "leadership", "executive", "company", "external"]),
                  role=(0.6, ROLES), adopted=(0.4, TF), praised=(0.3, TF))
        if self.chance(0.4):
            rec["scope"] = self.scope()
        if self.chance(0.2):
            rec["teams"] = self.r.randint(1, 6)
        return rec

    def decision(self) -> dict:
        kind = self.one(["trade-off", "prioritisation", "roadmap-change", "pivot", "investment", "deprioritisation",
                         "sunset", "architecture", "pricing", "resource-allocation", "say-no"])
        rec = self.common({"type": "decision"})
        rec["kind"] = kind
        self.some(rec, role=(0.7, ROLES), stakes=(0.6, LMH), ambiguity=(0.3, LMH),
                  documented=(0.6, [True, True, False]),
                  data_informed=(0.5, TF), outcome=(0.4, ["vindicated", "mixed", "reversed", "pending"]))
        if self.chance(0.6):
            rec["scope"] = self.scope()
        if self.chance(0.35):
            rec["communicated_to"] = self.r.sample(["team", "cross-functional", "leadership", "executive", "company"],
                                                   self.r.randint(1, 3))
        return rec

    def discovery(self) -> dict:
        method = self.one(["user-interviews", "usability-test", "survey", "experiment", "data-analysis",
                           "competitive-analysis", "prototype", "field-research", "feedback-synthesis"])
        rec = self.common({"type": "discovery"})
        rec["method"] = method
        if self.chance(0.4):
            rec["guided"] = self.tier <= 2 and self.chance(0.6)
        if self.chance(0.5):
            rec["participants"] = self.r.choice([5, 8, 12, 20, 45, 300, 2500, 12000])
        self.some(rec, finding=(0.6, ["validated", "invalidated", "pivoted", "inconclusive"]),
                  influenced_decision=(0.5, TF), role=(0.6, ROLES))
        if self.chance(0.4):
            rec["scope"] = self.scope()
        return rec

    def learning(self) -> dict:
        area = self.one(["technical", "domain", "business", "craft", "leadership"])
        rec = self.common({"type": "learning"})
        rec["area"] = area
        if self.chance(0.7):
            rec["form"] = self.one(["deep-dive", "course", "shadowing", "certification", "teaching", "writing"])
        if self.chance(0.5):
            rec["shared"] = self.one([True, False])
        return rec

    def mentee_level(self, allowed: list[str] | None = None) -> str | None:
        below = [lv for lv in (allowed or list(ORDER)) if ORDER[lv] < ORDER[self.target]]
        if not below:
            return None
        lv = self.one(below)
        return self.one(ALIASES[lv]) if self.chance(0.05) else lv

    def mentoring(self, levels: list[str] | None = None) -> dict | None:
        lv = self.mentee_level(levels)
        if lv is None:
            return None
        mentee: dict[str, Any] = {"level": lv}
        if self.chance(0.7):
            mentee["id"] = self.person()
        if self.chance(0.4):
            mentee["discipline"] = self.one(["product", "product", "design", "engineering", "data"])
        rec: dict[str, Any] = {"type": "mentoring", "months": self.r.randint(1, 14), "mentee": mentee}
        self.some(rec, formal=(0.5, TF), outcome=(0.6, ["promoted", "grew", "grew", "ongoing", "none"]),
                  frameworks_shared=(0.3, TF))
        return rec

    def executive_engagement(self) -> dict:
        forum = self.one(["leadership-review", "leadership-review", "exec-team", "board", "investors", "analysts",
                          "press", "partners", "customer-executives", "all-hands"])
        topic = self.one(["strategy", "roadmap", "risk", "investment", "results", "vision", "trade-off",
                          "organisation"])
        rec = self.common({"type": "executive_engagement"})
        rec["forum"] = forum
        if self.chance(0.8):
            rec["part"] = self.one(["led", "presented", "advised", "attended"])
        if self.chance(0.7):
            rec["topic"] = topic
        self.some(rec, outcome=(0.5, ["decision-made", "approved", "informed", "redirected", "rejected"]),
                  influenced_decision=(0.5, TF), recurring=(0.3, TF))
        return rec

    def business_ownership(self) -> dict:
        area = self.one(["p-and-l", "budget", "pricing", "revenue", "growth", "retention", "market-expansion",
                         "unit-economics", "fundraising", "partnership", "cost"])
        rec = self.common({"type": "business_ownership"})
        rec["area"] = area
        self.some(rec, accountable=(0.6, TF), outcome=(0.6, ["target-met", "target-missed", "in-progress"]))
        if self.chance(0.5):
            rec["scope"] = self.scope()
        if self.chance(0.5):
            rec["metrics"] = self.metrics(["business"], None)
        return rec

    def org_initiative(self) -> dict:
        kind = self.one(["process", "culture", "standards", "operating-model", "tooling", "training", "hiring-brand",
                         "career-framework", "decision-framework", "quality-bar", "rituals"])
        rec = self.common({"type": "org_initiative"})
        rec["kind"] = kind
        self.some(rec, reach=(0.7, ["team", "several-teams", "product-org", "company"]),
                  adoption=(0.7, ["proposed", "piloted", "adopted"]), self_initiated=(0.4, TF), role=(0.6, ROLES),
                  bottleneck_removed=(0.2, TF))
        return rec

    def people_leadership(self) -> dict:
        activity = self.one(["managing", "hiring", "coaching", "performance-management", "career-development",
                             "team-structure", "goal-setting", "succession"])
        rec = self.common({"type": "people_leadership"})
        rec["activity"] = activity
        big = self.tier >= 4
        if self.chance(0.6):
            rec["reports"] = self.r.randint(1, 9 if big else 3)
        if self.chance(0.3):
            rec["people"] = self.r.randint(3, 120 if big else 12)
        if activity == "hiring" or self.chance(0.1):
            rec["hires"] = self.r.randint(0, 6 if big else 2)
        if self.chance(0.25):
            rec["promotions"] = self.r.randint(0, 3)
        if self.chance(0.3):
            rec["levels"] = sorted(self.r.sample(["associate-pm", "mid-pm", "senior-pm"], self.r.randint(1, 2)))
        if self.chance(0.4):
            rec["scope"] = self.scope()
        if self.chance(0.5):
            rec["outcome"] = self.one(["improved", "stable", "declined", "ongoing"])
        return rec

    def risk_raised(self) -> dict:
        kind = self.one(["blocker", "risk", "misalignment", "bottleneck", "systemic-issue"])
        rec = self.common({"type": "risk_raised"})
        rec["kind"] = kind
        self.some(rec, anticipated=(0.6, [True, True, False]), resolved=(0.5, TF))
        if self.chance(0.5):
            rec["scope"] = self.scope()
        if self.chance(0.3):
            rec["teams"] = self.r.randint(1, 6)
        return rec

    def title(self, rec: dict) -> str | None:
        """A title that agrees with the record's final fields (None: this record goes without)."""
        t, p = rec["type"], self.product()
        words = lambda k: str(rec.get(k, "")).replace("-", " ")  # noqa: E731
        if t == "shipped_outcome":
            return _cap(self.one(SHIP_FORMS).format(p=p))
        if t == "artifact":
            return ARTIFACT_FORMS[rec["kind"]].format(p=p, P=_cap(p), h=self.r.randint(1, 2))
        if t == "decision":
            return f"{_cap(words('kind'))}: {p}"
        if t == "discovery":
            return f"{_cap(words('method'))} for {p}"
        if t == "learning":
            return f"{self.one(['Deep dive', 'Course', 'Reading group', 'Workshop'])}: {LEARNING_TOPICS[rec['area']]}"
        if t == "org_initiative":
            return f"{_cap(words('kind'))} initiative"
        if t == "risk_raised":
            return f"{_cap(words('kind'))} in {p}"
        if not self.chance(0.7):  # the title is optional for the rest
            return None
        if t == "executive_engagement":
            return f"{_cap(words('topic') or 'update')} at {words('forum')}"
        if t == "business_ownership":
            return f"{_cap(words('area'))} for {p}"
        if t == "people_leadership":
            return PEOPLE_TITLES[rec["activity"]].format(p=p)
        if t == "mentoring":
            product = rec["mentee"].get("discipline", "product") == "product"
            return "Mentoring a PM" if product else "Cross-discipline mentoring"
        return None

    def ordinary(self) -> dict:
        types = [t for t in TYPE_WEIGHTS if t != "mentoring" or ORDER[self.target] > 1]
        t = self.r.choices(types, [TYPE_WEIGHTS[x] for x in types])[0]
        return getattr(self, t)()


# --- recipes: the evidence that meets each criterion, or a near miss ----------------------------
# A recipe is (criterion id, required, builder). builder(g, ok) returns records: with ok=True
# they meet the criterion as rules/ states it today; with ok=False they almost do.
Recipe = tuple[str, bool, Callable[[Gen, bool], list[dict]]]


def _with(rec: dict | None, **fields) -> list[dict]:
    if rec is None:
        return []
    rec.update(fields)
    return [rec]


HI = [4, 5]


def _fb(g: Gen, rels: list[str], ok: bool, **fields) -> list[dict]:
    rec = g.stakeholder_feedback()
    rel = g.one(rels)
    rec["from"] = {**rec["from"], "relationship": rel}
    if "role" in rec["from"]:
        rec["from"]["role"] = g.one(ROLES_TEXT[rel])
    rec["rating"] = g.one(HI) if ok else g.one([2, 3])
    return _with(rec, **fields)


def _n(g: Gen, ok: bool, n: int, make: Callable[[], list[dict]]) -> list[dict]:
    """n records when ok, else one fewer (the count is what misses)."""
    out: list[dict] = []
    for _ in range(n if ok else n - 1):
        out += make()
    return out


def _distinct_fb(g: Gen, ok: bool, n: int, **fields) -> list[dict]:
    rels = g.r.sample(["manager", "peer", "cross-functional", "skip-level", "executive", "direct-report"],
                      n if ok else n - 1)
    if not ok:
        rels.append(rels[0])  # as many records, one relationship short
    return [r for rel in rels for r in _fb(g, [rel], True, **fields)]


def _mean_fb(g: Gen, ok: bool, rels: list[str]) -> list[dict]:
    ratings = g.r.choice([[4, 4, 5], [5, 4, 4, 5], [4, 5, 5]]) if ok else g.r.choice([[3, 4, 3], [4, 3, 3, 4]])
    out = []
    for rating in ratings:
        out += _fb(g, rels, True, rating=rating)
    return out


def _ship(g: Gen, **fields) -> list[dict]:
    return _with(g.shipped_outcome(), **fields)


def _art(g: Gen, **fields) -> list[dict]:
    return _with(g.artifact(), **fields)


def _typed(g: Gen, t: str, **fields) -> list[dict]:
    return _with(getattr(g, t)(), **fields)


def _ment(g: Gen, levels: list[str] | None = None, **fields) -> list[dict]:
    return _with(g.mentoring(levels), **fields)


def _ment_named(g: Gen, levels: list[str] | None = None, **fields) -> list[dict]:
    """A mentoring record naming its mentee (a person counted once, however many records)."""
    recs = _ment(g, levels, **fields)
    for rec in recs:
        rec["mentee"]["id"] = g.person()
    return recs


RECIPES: dict[str, list[Recipe]] = {
    "associate-pm": [
        ("associate-pm.writes-stories", True, lambda g, ok: _art(
            g, kind=g.one(["user-stories", "tickets", "spec", "prd"]) if ok else "status-update")),
        ("associate-pm.supports-delivery", False, lambda g, ok: _ship(
            g, role=g.one(["contributed", "co-led"]), scope="feature") if ok else []),
        ("associate-pm.works-with-makers", False, lambda g, ok: _fb(g, ["cross-functional", "peer"], True) if ok
         else _fb(g, ["cross-functional"], False, rating=2)),
        ("associate-pm.guided-research", False, lambda g, ok: _typed(g, "discovery", guided=True) if ok else []),
        ("associate-pm.learns-the-product", True, lambda g, ok: _typed(
            g, "learning", area=g.one(["technical", "domain", "craft"]) if ok else "business")),
        ("associate-pm.curiosity-noticed", True, lambda g, ok: _fb(
            g, ["manager", "peer"], ok, themes=g.themes(["technical-curiosity", "product-thinking", "initiative"], 1))),
        ("associate-pm.communicates-clearly", False, lambda g, ok: _art(
            g, kind=g.one(["status-update", "research-report", "decision-record"]) if ok else "talk")),
    ],
    "mid-pm": [
        ("mid-pm.ships-reliably", True, lambda g, ok: _n(g, ok, 2, lambda: _ship(
            g, on_time=True, quality=g.one(["met-bar", "exceeded"]), _within=540))),
        ("mid-pm.useful-documentation", True, lambda g, ok: _art(
            g, kind=g.one(["spec", "prd", "user-stories"]), praised=ok) if g.chance(0.5)
         else _fb(g, ["cross-functional"], ok, themes=["documentation"])),
        ("mid-pm.dependable", True, lambda g, ok: _n(g, ok, 2, lambda: _fb(
            g, ["manager", "cross-functional", "peer"], True,
            themes=g.themes(["dependability", "delivery", "initiative"], 1)))),
        ("mid-pm.owns-a-problem", True, lambda g, ok: _ship(
            g, role=g.one(["led", "co-led"]), end_to_end=True, metrics=g.metrics(["user", "business"], ok))),
        ("mid-pm.product-thinking", False, lambda g, ok: _fb(g, ["manager", "peer"], ok, themes=["product-thinking"])),
        ("mid-pm.technical-curiosity", False, lambda g, ok: _typed(
            g, "learning", area="technical" if ok else "business")),
        ("mid-pm.structured-communication", False, lambda g, ok: _art(g, kind="status-update", praised=ok)),
        ("mid-pm.takes-initiative", False, lambda g, ok: _ship(g, self_initiated=ok)),
        ("mid-pm.research-under-guidance", False, lambda g, ok: _typed(
            g, "discovery",
            method=g.one(["user-interviews", "usability-test", "survey"]) if ok else "competitive-analysis")),
    ],
    "senior-pm": [
        ("senior-pm.moves-key-metrics", True, lambda g, ok: _n(g, True, 2, lambda: _ship(
            g, role=g.one(["led", "co-led"]), scope=g.one(["product-area", "cross-team"]), _within=720,
            metrics=g.metrics(["business", "user"], ok)))),
        ("senior-pm.area-direction", True, lambda g, ok: _art(
            g, kind=g.one(["roadmap", "strategy"]), role="led", adopted=ok)),
        ("senior-pm.sound-trade-offs", True, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "decision", kind=g.one(["trade-off", "prioritisation", "say-no", "deprioritisation"]),
            documented=True))),
        ("senior-pm.aligns-teams", True, lambda g, ok: _distinct_fb(g, ok, 3)),
        ("senior-pm.leads-independently", False, lambda g, ok: _n(g, ok, 2, lambda: _ship(
            g, role="led", end_to_end=True))),
        ("senior-pm.value-based-prioritisation", False, lambda g, ok: _typed(
            g, "decision", kind="prioritisation", data_informed=ok)),
        ("senior-pm.discovery-discipline", False, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "discovery", role="led", influenced_decision=True,
            finding=g.one(["validated", "invalidated", "pivoted"])))),
        ("senior-pm.challenges-the-plan", False, lambda g, ok: _ship(g, challenged_plan=ok)),
        ("senior-pm.stakeholder-confidence", False, lambda g, ok: _mean_fb(
            g, ok, ["cross-functional", "peer", "manager"])),
        ("senior-pm.sought-out", False, lambda g, ok: _n(g, ok, 2, lambda: _fb(g, ["peer", "cross-functional"], True,
                                                                               sought_input=True))),
        ("senior-pm.surfaces-risks", False, lambda g, ok: _typed(g, "risk_raised", anticipated=ok)),
        ("senior-pm.mentors-pms", False, lambda g, ok: _ment(
            g, ["associate-pm", "mid-pm"], months=g.r.randint(3, 12) if ok else 2)),
        ("senior-pm.briefs-leadership", False, lambda g, ok: _typed(
            g, "executive_engagement", forum="leadership-review", part="presented" if ok else "attended")),
        ("senior-pm.high-risk-work", False, lambda g, ok: _ship(g, role="led", risk="high" if ok else "medium")),
    ],
    "director": [
        ("director.drives-business-growth", True, lambda g, ok: _n(g, True, 2, lambda: _ship(
            g, role="led", scope=g.one(["cross-team", "portfolio"]), _within=720,
            metrics=g.metrics(["business"], ok)))),
        ("director.trusted-across-functions", True, lambda g, ok: _mean_fb(
            g, ok, ["cross-functional", "peer", "skip-level", "executive"])),
        ("director.shapes-leadership-decisions", True, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "executive_engagement", forum=g.one(["leadership-review", "exec-team"]), influenced_decision=True))),
        ("director.grows-pms", True, lambda g, ok: _n(g, ok, 2, lambda: _ment_named(
            g, ["associate-pm", "mid-pm", "senior-pm"], outcome=g.one(["promoted", "grew"]),
            months=g.r.randint(4, 12)))),
        ("director.anticipates-systemic-issues", False, lambda g, ok: _typed(
            g, "risk_raised", kind="systemic-issue", anticipated=True, scope="cross-team" if ok else "feature")),
        ("director.well-communicated-decisions", True, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "decision", documented=True, communicated_to=["cross-functional", "leadership"]))),
        ("director.strategic-narrative", False, lambda g, ok: _art(
            g, kind=g.one(["vision", "strategy", "narrative"]), audience="leadership", adopted=ok)),
        ("director.teaches-frameworks", False, lambda g, ok: _ment(
            g, ["mid-pm", "senior-pm"], frameworks_shared=ok)),
        ("director.portfolio-awareness", False, lambda g, ok: _typed(
            g, "decision", kind="resource-allocation", scope="portfolio" if ok else "feature")),
        ("director.executive-communication", False, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "executive_engagement", part="presented", topic=g.one(["strategy", "risk", "results", "roadmap"])))),
        ("director.leads-through-ambiguity", False, lambda g, ok: _ship(
            g, role="led", ambiguity="high" if ok else "low")),
        ("director.influence-without-ownership", False, lambda g, ok: _typed(
            g, "org_initiative", reach="several-teams", adoption="adopted" if ok else "proposed", role="led")),
        ("director.manages-pms", True, lambda g, ok: _typed(
            g, "people_leadership", activity="managing", reports=g.r.randint(1, 4),
            levels=["associate-pm", "mid-pm"] if ok else [])),
        ("director.builds-a-team", False, lambda g, ok: _typed(
            g, "people_leadership", activity=g.one(["hiring", "coaching", "career-development"]) if ok
            else "goal-setting")),
    ],
    "vp": [
        ("vp.teams-deliver-outcomes", True, lambda g, ok: _n(g, True, 2, lambda: _ship(
            g, role=g.one(["led", "co-led"]), scope=g.one(["portfolio", "company"]), _within=720,
            metrics=g.metrics(["business"], ok)))),
        ("vp.pms-grow", True, lambda g, ok: _typed(
            g, "people_leadership", activity="career-development", promotions=g.r.randint(1, 3) if ok else 0)),
        ("vp.champions-strategy", True, lambda g, ok: _typed(
            g, "executive_engagement", forum=g.one(["exec-team", "board"]), topic=g.one(["strategy", "vision"]),
            part=g.one(["led", "presented"]) if ok else "attended")),
        ("vp.portfolio-bets", True, lambda g, ok: _typed(
            g, "decision", scope=g.one(["portfolio", "company"]),
            kind=g.one(["investment", "resource-allocation", "pivot"]),
            stakes="high" if ok else "medium")),
        ("vp.develops-managers", True, lambda g, ok: _typed(
            g, "people_leadership", activity=g.one(["managing", "performance-management"]) if ok else "coaching",
            reports=g.r.randint(3, 9), levels=["director", "senior-pm"] if ok else ["senior-pm", "mid-pm"])),
        ("vp.removes-bottlenecks", False, lambda g, ok: _typed(g, "org_initiative", bottleneck_removed=ok)),
        ("vp.defines-great-product-management", False, lambda g, ok: _typed(
            g, "org_initiative", kind=g.one(["career-framework", "standards", "quality-bar"]), reach="product-org",
            adoption="adopted" if ok else "piloted")),
        ("vp.org-design", False, lambda g, ok: _typed(
            g, "people_leadership", activity="team-structure" if ok else "goal-setting")),
        ("vp.executive-partner", False, lambda g, ok: _n(g, ok, 2, lambda: _fb(g, ["executive", "skip-level"], True))),
        ("vp.cultural-leadership", False, lambda g, ok: _typed(
            g, "org_initiative", kind=g.one(["culture", "rituals"]), adoption="adopted" if ok else "proposed")),
        ("vp.business-fluency", True, lambda g, ok: _typed(
            g, "business_ownership", area=g.one(["p-and-l", "budget", "pricing"]), accountable=True,
            scope=g.one(["product-area", "portfolio", "company"]) if ok else "feature")),
        ("vp.board-exposure", True, lambda g, ok: _typed(
            g, "executive_engagement", forum=g.one(["board", "investors"]),
            part=g.one(["led", "presented", "advised"]) if ok else "attended")),
        ("vp.external-representation", False, lambda g, ok: _typed(
            g, "executive_engagement", forum=g.one(["analysts", "partners", "press"]),
            part="presented" if ok else "attended")),
        ("vp.hiring", False, lambda g, ok: _typed(
            g, "people_leadership", activity="hiring", hires=g.r.randint(2, 6) if ok else 1)),
    ],
    "principal-pm": [
        ("principal-pm.complex-high-risk-products", True, lambda g, ok: _n(g, ok, 2, lambda: _ship(
            g, role="led", risk="high", scope=g.one(["cross-team", "portfolio"]), _within=720))),
        ("principal-pm.deep-expertise", True, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "learning", area=g.one(["technical", "domain"]), form=g.one(["deep-dive", "teaching", "writing"])))
            + _art(g, kind=g.one(["technical-design", "framework", "article"]), adopted=True)),
        ("principal-pm.product-wide-decisions", True, lambda g, ok: _n(g, ok, 2, lambda: _typed(
            g, "decision", scope=g.one(["cross-team", "portfolio", "company"]), role="led", stakes="high"))),
        ("principal-pm.mentors-without-managing", True, lambda g, ok: _n(g, ok, 2, lambda: _ment(
            g, ["associate-pm", "mid-pm", "senior-pm"], months=g.r.randint(3, 12)))),
        ("principal-pm.business-impact", True, lambda g, ok: _n(g, True, 2, lambda: _ship(
            g, role="co-led", _within=720, metrics=g.metrics(["business"], ok)))),
        ("principal-pm.represents-product", False, lambda g, ok: _typed(
            g, "executive_engagement", part="advised" if ok else "attended")),
        ("principal-pm.foundational-discovery", False, lambda g, ok: _n(g, True, 2, lambda: _typed(
            g, "discovery", role="led", scope="cross-team" if ok else "feature"))),
        ("principal-pm.go-to-for-hard-calls", False, lambda g, ok: _distinct_fb(g, ok, 3, sought_input=True)),
        ("principal-pm.sets-direction-across-teams", False, lambda g, ok: _art(
            g, kind=g.one(["technical-design", "strategy", "decision-record"]), adopted=True,
            teams=g.r.randint(3, 7) if ok else 2)),
        ("principal-pm.thought-leadership", False, lambda g, ok: _art(
            g, kind=g.one(["framework", "playbook", "talk"]), audience="company" if ok else "team")),
        ("principal-pm.shifts-org-thinking", False, lambda g, ok: _typed(
            g, "org_initiative", reach="product-org", adoption="adopted" if ok else "piloted")),
        ("principal-pm.leadership-partner", False, lambda g, ok: _fb(g, ["executive", "skip-level"], ok)),
    ],
}


# --- packets ------------------------------------------------------------------------------------
def path_of(current: str, target: str, track: str) -> list[str]:
    if current == "external":
        return [target]
    return [lv for lv in TRACKS[track] if ORDER[current] < ORDER[lv] <= ORDER[target]]


INCLUDES = {"mid-pm": "associate-pm", "senior-pm": "mid-pm", "director": "senior-pm", "vp": "director",
            "principal-pm": "senior-pm"}  # rules/*.yaml `includes`


def carried_of(current: str, target: str, track: str) -> list[str]:
    """The levels below the path whose required criteria it includes (the rules' cumulative levels)."""
    path = path_of(current, target, track)
    if ORDER.get(current) == ORDER[target] and current != target:
        path = [target]  # a lateral move: the target alone
    held = set() if current == "external" else {
        lv for t in TRACKS.values() if current in t for lv in t if ORDER[lv] < ORDER[current]}
    out, lv = [], INCLUDES.get(path[0])
    while lv is not None and lv not in path and lv not in held:
        out.append(lv)
        if lv == current:
            break
        lv = INCLUDES.get(lv)
    return out[::-1]


def _months_before(end: dt.date, months: int) -> dt.date:
    """The day after the same calendar day `months` earlier: a period of exactly that many months."""
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    m += 1
    day = min(end.day, [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
                        30, 31][m - 1])
    return dt.date(y, m, day) + dt.timedelta(days=1)


def make_packet(seed: int | str, i: int) -> dict:
    """Packet number i of the stream for `seed`: valid, realistic, and the same every time."""
    r = random.Random(f"ladder-bench:{seed}:{i}")
    _, current, target, tracks = r.choices(SCENARIOS, [s[0] for s in SCENARIOS])[0]
    track = r.choice(tracks)
    profile = r.choices(list(PROFILES), [p[0] for p in PROFILES.values()])[0]
    _, p_req, p_sup, p_miss = PROFILES[profile]
    stale = r.random() < P_STALE

    end = dt.date.fromisoformat(r.choice(CYCLE_ENDS))
    months = 36 if stale else r.choices([12, 6, 18, 24], [70, 10, 10, 10])[0]
    start = _months_before(end, months)
    cid = f"gen-{i:06d}"
    g = Gen(r, cid, ORDER[target], target, start, end)

    records: list[dict] = []
    for lv in carried_of(current, target, track):  # required criteria only, as the rules judge them
        for _cid, required, build in RECIPES[lv]:
            if required and g.chance(p_req):
                records += build(g, True)
    for lv in path_of(current, target, track):
        for _cid, required, build in RECIPES[lv]:
            if g.chance(p_req if required else p_sup):
                records += build(g, True)
            elif g.chance(p_miss):
                records += build(g, False)
    r.shuffle(records)
    n = max(5, min(40, len(records) + r.randint(0, 14)))
    records = records[:n]
    while len(records) < n:
        records.append(g.ordinary())

    span = (end - start).days
    for rec in records:
        window = min(rec.pop("_within", span), span)
        if stale and not g.chance(0.15):  # older than any sufficiency window (730 days at most)
            age = r.randint(min(760, span), span)
        else:
            age = r.randint(0, window)
        rec["date"] = (end - dt.timedelta(days=age)).isoformat()
    records.sort(key=lambda rec: rec["date"])
    evidence = []
    for k, rec in enumerate(records):
        title = g.title(rec)
        head = {"id": f"ev-{k + 1:02d}", "type": rec.pop("type"), "date": rec.pop("date")}
        evidence.append({**head, **({"title": title} if title else {}), **rec})

    cand: dict[str, Any] = {"id": cid}
    if r.random() < 0.7:
        cand["name"] = f"{r.choice(FIRST)} {r.choice(LAST)}"
    explicit_track = r.random() < 0.8
    if explicit_track:
        cand["track"] = track
    cand["current_level"] = current if current == "external" or r.random() > 0.05 else r.choice(ALIASES[current])
    # target_level may be left out when it is the default: the next level on the track, where the
    # track (when not given) is inferred from the current level alone, i.e. management.
    default_track = track if explicit_track else "management"
    default_target = None
    if current not in ("external", "principal-pm"):
        default_target = next((lv for lv in TRACKS[default_track] if ORDER[lv] > ORDER[current]), None)
    if not (default_target == target and r.random() < 0.15):
        cand["target_level"] = target if r.random() > 0.05 else r.choice(ALIASES[target])
    return {"schema_version": 1, "candidate": cand,
            "period": {"start": start.isoformat(), "end": end.isoformat()}, "evidence": evidence}


# --- corruption (--invalid-rate) ------------------------------------------------------------------
def _evs(p: dict, t: str | None = None) -> list[dict]:
    return [e for e in p["evidence"] if t is None or e["type"] == t]


def corrupt(p: dict, r: random.Random) -> tuple[dict | str, str]:
    """Break one thing in packet p, in place. Returns (the packet, or a raw line for bad JSON; the kind)."""
    ev = p["evidence"]
    cands: list[tuple[str, Callable[[], Any]]] = []
    fb, ment, ships = _evs(p, "stakeholder_feedback"), _evs(p, "mentoring"), _evs(p, "shipped_outcome")
    if fb:
        cands.append(("rating-out-of-range", lambda: r.choice(fb).__setitem__("rating", r.choice([0, 6, 9]))))
        cands.append(("feedback-from-self", lambda: r.choice(fb).__setitem__(
            "from", {"id": p["candidate"]["id"], "relationship": "peer"})))
    if ment:
        cands.append(("mentee-not-below-target", lambda: r.choice(ment)["mentee"].__setitem__("level", "vp")))
        cands.append(("months-not-integer", lambda: r.choice(ment).__setitem__("months", "six")))
    if ships:
        cands.append(("missing-required-field", lambda: r.choice(ships).pop("title")))
        cands.append(("bad-enum", lambda: r.choice(ships).__setitem__("role", "owner")))
    cands += [
        ("unknown-evidence-type", lambda: r.choice(ev).__setitem__("type", "shipped_outcomes")),
        ("date-after-period-end", lambda: r.choice(ev).__setitem__(
            "date", (dt.date.fromisoformat(p["period"]["end"]) + dt.timedelta(days=r.randint(1, 90))).isoformat())),
        ("impossible-date", lambda: r.choice(ev).__setitem__("date", p["period"]["end"][:5] + "02-30")),
        ("duplicate-evidence-id", lambda: ev[-1].__setitem__("id", ev[0]["id"])),
        ("unknown-field", lambda: r.choice(ev).__setitem__("impact", "high")),
        ("unknown-level", lambda: p["candidate"].__setitem__("current_level", "senior-pmm")),
        ("target-not-above-current", lambda: (p["candidate"].__setitem__("current_level", "director"),
                                              p["candidate"].__setitem__("target_level", "mid-pm"))),
        ("period-reversed", lambda: p["period"].update(start=p["period"]["end"], end=p["period"]["start"])),
        ("schema-version", lambda: p.__setitem__("schema_version", 2)),
        ("bad-candidate-id", lambda: p["candidate"].__setitem__("id", "gen 000 bad")),
        ("truncated-json", None),
    ]
    kind, fn = r.choice(cands)
    if fn is None:
        line = dumps(p)
        return line[: r.randint(10, max(11, len(line) // 2))], kind
    fn()
    return p, kind


def dumps(p: dict) -> str:
    return json.dumps(p, ensure_ascii=False, separators=(",", ":"))


def generate(count: int, seed: int | str, invalid_rate: float = 0.0,
             start: int = 0) -> Iterator[tuple[str, str | None]]:
    """(JSONL line, corruption kind or None) for packets start .. start+count-1."""
    for i in range(start, start + count):
        p = make_packet(seed, i)
        kind = None
        if invalid_rate > 0:
            cr = random.Random(f"ladder-bench-corrupt:{seed}:{i}")
            if cr.random() < invalid_rate:
                out, kind = corrupt(p, cr)
                yield (out if isinstance(out, str) else dumps(out)), kind
                continue
        yield dumps(p), kind


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write N deterministic, realistic ladder packets as JSONL.")
    ap.add_argument("--count", type=int, required=True, help="number of packets")
    ap.add_argument("--seed", default="1", help="seed (any integer or string; default 1)")
    ap.add_argument("--out", required=True, help="output file (.jsonl), or - for stdout")
    ap.add_argument("--invalid-rate", type=float, default=0.0,
                    help="fraction of packets corrupted on purpose, 0..1 (default 0)")
    ap.add_argument("--start", type=int, default=0, help="index of the first packet (default 0)")
    ap.add_argument("--quiet", action="store_true", help="no summary on stderr")
    a = ap.parse_args(argv)
    if a.count < 0 or not 0.0 <= a.invalid_rate <= 1.0 or a.start < 0:
        ap.error("--count and --start must be >= 0 and --invalid-rate in 0..1")
    seed: int | str = int(a.seed) if a.seed.lstrip("-").isdigit() else a.seed
    kinds: Counter[str] = Counter()
    fh = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n")
    try:
        for line, kind in generate(a.count, seed, a.invalid_rate, a.start):
            fh.write(line)
            fh.write("\n")
            if kind:
                kinds[kind] += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    if not a.quiet:
        bad = sum(kinds.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})" if bad else ""
        print(f"wrote {a.count} packets to {a.out} (seed {seed}); {bad} corrupted on purpose{detail}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
