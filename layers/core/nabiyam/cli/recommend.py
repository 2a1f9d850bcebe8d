"""`nabiyam recommend`: the recommender from the command line, printing the same
Recommendation objects the API returns (JSON list; `--full` for the whole result)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

DEFAULT_WORLD = Path("var/world-small")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="recommend shops for a user (JSON)")
    p.add_argument("--user-id", required=True)
    p.add_argument("--district", help="구 to search in (e.g. 관악구)")
    p.add_argument("--at", help="request time, ISO 8601 (Seoul time when no offset); default now")
    p.add_argument("--budget", type=int, help="won available")
    p.add_argument("--query", default="", help="what the user asked for (semantic query text)")
    p.add_argument("--category", help="canonical category, e.g. 치킨")
    p.add_argument("--food", action="append", default=[], help="canonical food (repeatable)")
    p.add_argument("--near-me", action="store_true")
    p.add_argument("--good-shop-only", action="store_true")
    p.add_argument("--lat", type=float)
    p.add_argument("--lon", type=float)
    p.add_argument("-k", type=int, default=5, help="how many shops (default 5)")
    p.add_argument("--world", type=Path, help=f"world directory for the catalogue (default {DEFAULT_WORLD})")
    p.add_argument("--catalogue", type=Path, help="catalogue snapshot JSON(.gz) instead of a world directory")
    p.add_argument("--artifacts", type=Path, help="ranker artifact directory (default <artifacts_dir>/ranker)")
    p.add_argument("--full", action="store_true", help="print the whole result (candidates, fallback, relaxations)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from nabiyam.cli.main import CliError
    from nabiyam.domain.nlu import Filters
    from nabiyam.domain.recommendation import RequestContext
    from nabiyam.recsys import CatalogueError, CatalogueIndex, Recommender
    from nabiyam.settings import get_settings

    if args.k < 1 or args.k > 50:
        raise CliError(f"-k must be between 1 and 50, got {args.k}")
    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise CliError(f"--at {args.at!r} is not an ISO time such as 2026-05-20T12:30") from None
    try:
        filters = Filters(category=args.category, food_types=args.food, budget_max=args.budget,
                          district=args.district, near_me=args.near_me, good_shop_only=args.good_shop_only)
        context = RequestContext(lat=args.lat, lon=args.lon, district=args.district, at=at, budget=args.budget)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"bad {'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    try:
        if args.catalogue:
            catalogue = CatalogueIndex.from_snapshot(args.catalogue)
        else:
            world = args.world or DEFAULT_WORLD
            if not (world / "shop.csv").is_file():
                raise CliError(f"no world at {world}; pass --world DIR or --catalogue FILE "
                               f"(make one with `nabiyam world generate --size small --out {world}`)")
            catalogue = CatalogueIndex.from_world_dir(world)
    except CatalogueError as exc:
        raise CliError(str(exc)) from None
    artifacts = args.artifacts or get_settings().artifacts_dir / "ranker"
    recommender = Recommender.load(artifacts, catalogue)
    result = recommender.recommend(args.user_id, filters, context, semantic_query=args.query, k=args.k)
    from nabiyam.nlg.reasons import render_reasons
    from nabiyam.nlg.templates import relaxation_tip

    # The recommender hands over structured reasons; the NLG words them (as /recommendations does).
    result.items = [r.model_copy(update={"reason": render_reasons(r.reasons)}) for r in result.items]
    for relax in result.relaxed:
        relax.suggestion = relaxation_tip(relax.filter, relax.need_budget)
    if args.full:
        print(result.model_dump_json(indent=2))
    else:
        print(json.dumps([r.model_dump(mode="json") for r in result.items], ensure_ascii=False, indent=2))
    if result.fallback:
        print(f"note: ranker unavailable ({result.fallback_reason}); funnel-blend fallback used", file=sys.stderr)
    if not result.items:
        tips = "; ".join(r.suggestion for r in result.relaxed) or "조건을 조금 바꿔서 다시 물어봐 주세요"
        print(f"note: nothing fits ({tips})", file=sys.stderr)
    return 0
