"""Realistic GENESIS v5 flat files for benchmarks: months × countries × goods × measures.

Like 51000-0012 (monthly trade by goods and country): DINSG, STLAH (262 keys), WAM6-style goods
codes, MONAT; German labels and decimal commas; sparse (most goods are not traded with most
countries in a month: GENESIS then writes "-"), a few secret values ("."), provisional flags.
Deterministic for a given seed.

    python -m benchmarks.generate --rows 1000000 --out /tmp/bench-1M.zip
"""

import argparse
import io
import random
import zipfile
from pathlib import Path

from warehouse.countries import countries

MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"]
MEASURES = [
    ("WERTA", "Ausfuhr: Wert", "Tsd. EUR"),
    ("WERTE", "Einfuhr: Wert", "Tsd. EUR"),
    ("GEWA", "Ausfuhr: Gewicht", "t"),
    ("GEWE", "Einfuhr: Gewicht", "t"),
]
HEADER = (
    "statistics_code;statistics_label;time_code;time_label;time;"
    "1_variable_code;1_variable_label;1_variable_attribute_code;1_variable_attribute_label;"
    "2_variable_code;2_variable_label;2_variable_attribute_code;2_variable_attribute_label;"
    "3_variable_code;3_variable_label;3_variable_attribute_code;3_variable_attribute_label;"
    "4_variable_code;4_variable_label;4_variable_attribute_code;4_variable_attribute_label;"
    "value;value_unit;value_variable_code;value_variable_label;value_q"
)


def dimensions(rows: int) -> tuple[int, int]:
    """(goods, years) for about `rows` rows with all 262 countries, 4 measures, 12 months."""
    per_goods_year = 262 * 4 * 12
    years = 1 if rows < per_goods_year * 50 else 3
    goods = max(1, round(rows / (per_goods_year * years)))
    return goods, years


def lines(rows: int, seed: int = 2022, first_year: int = 2022, revise_share: float = 0.0):
    """The data lines, exactly `rows` of them. With revise_share, that share of numeric values differs
    (a revision batch of the same file)."""
    rng = random.Random(seed)
    revise = random.Random(seed + 1)
    goods, years = dimensions(rows)
    keys = sorted(countries())
    names = countries()
    emitted = 0
    for year in range(first_year, first_year + years):
        for g in range(goods):
            code = f"WA{10000 + g * 7:06d}"
            label = f"Ware {code[2:]}"
            for country in keys:
                traded = rng.random() < 0.35
                for month in range(1, 13):
                    for measure, measure_label, unit in MEASURES:
                        if emitted == rows:
                            return
                        r = rng.random()
                        if not traded or r < 0.30:
                            value = "-"
                        elif r < 0.31:
                            value = "."
                        else:
                            value = f"{rng.randint(1, 500000)}" if unit != "t" else f"{rng.randint(0, 99999)},{rng.randint(0, 9)}"
                            if revise_share and revise.random() < revise_share:
                                value = f"{revise.randint(500001, 900000)}"  # own stream: the rest stays identical
                        quality = "p" if year == first_year + years - 1 and month > 9 else ""
                        yield (
                            f"51000;Außenhandel;JAHR;Jahr;{year};DINSG;Deutschland insgesamt;DG;Deutschland;"
                            f"STLAH;Länderverzeichnis für die Außenhandelsstatistik;{country};{names[country].name_de};"
                            f"WAM6;Warenverzeichnis Außenhandelsstatistik (6-Steller);{code};{label};"
                            f"MONAT;Monate;MONAT{month:02d};{MONTHS[month - 1]};"
                            f"{value};{unit};{measure};{measure_label};{quality}"
                        )
                        emitted += 1


def write(path: Path, rows: int, seed: int = 2022, revise_share: float = 0.0) -> Path:
    """Write a ZIP (or a bare .csv if path ends in .csv) with one *_flat.csv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = f"51000-0012_{rows}_de_flat.csv"
    if path.suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="\n") as out:
            out.write(HEADER + "\n")
            for line in lines(rows, seed, revise_share=revise_share):
                out.write(line + "\n")
        return path
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="\n")
            text.write(HEADER + "\n")
            for line in lines(rows, seed, revise_share=revise_share):
                text.write(line + "\n")
            text.flush()
            text.detach()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--revise-share", type=float, default=0.0)
    args = parser.parse_args()
    write(args.out, args.rows, args.seed, args.revise_share)


if __name__ == "__main__":
    main()
