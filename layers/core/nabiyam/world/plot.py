"""`nabiyam world plot`: one small PNG — shop locations by category, and menu prices by
category against the meal-card limit. Labels are romanised (no Hangul font is assumed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.world import io as wio

ENGLISH = {"한식": "Korean", "중식": "Chinese", "일식": "Japanese", "양식": "Western", "분식": "Bunsik (snacks)",
           "치킨": "Chicken", "피자": "Pizza", "패스트푸드": "Fast food", "카페·디저트": "Cafe/dessert",
           "베이커리": "Bakery"}
DISTRICT_EN = {"관악구": "Gwanak", "동작구": "Dongjak", "금천구": "Geumcheon", "구로구": "Guro", "영등포구": "Yeongdeungpo",
               "서초구": "Seocho", "강남구": "Gangnam", "마포구": "Mapo"}


def plot_world(world_dir: str | Path, out: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nabiyam.domain.geo import DISTRICTS

    d = Path(world_dir)
    shop_file = d / wio.SHEETS["shop"][0]
    if not shop_file.exists():
        raise FileNotFoundError(f"{shop_file} not found: is {d} a world directory?")
    shops = list(wio.iter_csv(shop_file))
    cat_of = {s["shop_id"]: s["category"] for s in shops}
    prices: dict[str, list[int]] = {c: [] for c in CATEGORIES}
    for m in wio.iter_csv(d / wio.SHEETS["menu"][0]):
        prices[cat_of[m["shop_id"]]].append(int(m["price"]))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=80, gridspec_kw={"width_ratios": [1.1, 1]})
    cmap = plt.get_cmap("tab10")
    for i, c in enumerate(CATEGORIES):
        pts = [(float(s["lon"]), float(s["lat"]), s["accepts_meal_card"] == "true") for s in shops if s["category"] == c]
        if not pts:
            continue
        x, y, card = (np.array(v) for v in zip(*pts))
        ax1.scatter(x[card], y[card], s=7, color=cmap(i), label=ENGLISH[c], alpha=0.8, linewidths=0)
        ax1.scatter(x[~card], y[~card], s=9, color=cmap(i), marker="x", alpha=0.8, linewidths=0.8)
    for name in {s["district"] for s in shops}:
        dd = DISTRICTS[name]
        ax1.annotate(DISTRICT_EN.get(name, name), (dd.lon, dd.lat), fontsize=8, ha="center", weight="bold", alpha=0.7)
    ax1.set_title("Shops by category (x = no meal card)", fontsize=10)
    ax1.set_xlabel("longitude")
    ax1.set_ylabel("latitude")
    ax1.legend(fontsize=6.5, markerscale=2, loc="upper right", ncol=2, framealpha=0.8)
    ax1.set_aspect(1 / np.cos(np.radians(37.5)))

    data = [prices[c] for c in CATEGORIES]
    ax2.boxplot(data, vert=False, showfliers=False, widths=0.6)
    ax2.set_yticks(range(1, len(CATEGORIES) + 1), [ENGLISH[c] for c in CATEGORIES], fontsize=8)
    ax2.axvline(9000, color="crimson", ls="--", lw=1)
    ax2.text(9200, len(CATEGORIES) + 0.3, "typical card limit 9,000 won", color="crimson", fontsize=7)
    ax2.set_xlabel("menu price (won)")
    ax2.set_title("Menu prices by category", fontsize=10)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)
    return out
