"""A three-target plan for the store's tests."""

from __future__ import annotations

from datetime import date

from jzplan.reference.plan import Plan, Target


def tiny_plan() -> Plan:
    return Plan(
        year=2013,
        targets=(
            Target(
                id="main-gdp",
                year=2013,
                group="主要预期目标",
                scope="JZXQ",
                kind="growth",
                label="地区生产总值增长",
                source="地区生产总值增长12%以上",
                indicator="gdp",
                value=12.0,
                unit="%",
            ),
            Target(
                id="main-fai",
                year=2013,
                group="主要预期目标",
                scope="JZXQ",
                kind="level",
                label="固定资产投资",
                source="全社会固定资产投资完成80亿元",
                indicator="fai",
                value=80.0,
                unit="亿元",
                baseline=64.5,
                growth_pct=24.0,
            ),
            Target(
                id="ngz-road",
                year=2013,
                group="乡镇街道目标",
                scope="NGZ",
                kind="milestone",
                label="道路建成",
                source="年底前建成道路",
                deadline=date(2013, 12, 31),
            ),
        ),
        baselines=(),
    )
