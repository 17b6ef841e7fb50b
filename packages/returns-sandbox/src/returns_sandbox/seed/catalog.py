"""The demo catalogue: apparel variants (NetSuite items + Shopify variants per store), special items and GL accounts.

The catalogue does not depend on the seed: ids and SKUs are stable, so ``TEE-BLK-M`` is always the
ambiguous SKU and ``SHIRT-BLU-M`` always costs 50.00. Problem SKUs (ambiguous, no custom SKU,
inactive, Shopify-only) are listed here so order generation can keep good returns away from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from returns_sandbox.seed.stores import STORE_KEYS
from returns_sandbox.seed.world import CatalogItem

__all__ = [
    "ACCOUNTS",
    "AMBIGUOUS_SKUS",
    "INACTIVE_SKUS",
    "NO_CUSTOM_SKU_SKUS",
    "SHOPIFY_ONLY_SKUS",
    "SPECIAL_ITEMS",
    "Catalog",
    "build_catalog",
]

_COLOURS = {
    "BLK": "Black",
    "WHT": "White",
    "NVY": "Navy",
    "GRY": "Heather Grey",
    "OLV": "Olive",
    "SND": "Sand",
    "RED": "Red",
    "BLU": "Blue",
    "GRN": "Green",
    "OAT": "Oatmeal",
    "IND": "Indigo",
    "ORG": "Orange",
    "YEL": "Yellow",
    "PNK": "Pink",
    "TEA": "Teal",
}
_TOPS = ("S", "M", "L", "XL")

# code, name, list price, cost ratio, colours, sizes
_PRODUCTS: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("TEE", "Classic Tee", "28.00", "0.36", ("BLK", "WHT", "NVY", "GRY"), ("XS", *_TOPS)),
    ("PTEE", "Pocket Tee", "32.00", "0.37", ("BLK", "OLV", "SND"), _TOPS),
    ("LSTEE", "Long Sleeve Tee", "38.00", "0.38", ("BLK", "WHT", "NVY"), _TOPS),
    ("POLO", "Pique Polo", "45.00", "0.40", ("NVY", "WHT", "RED"), _TOPS),
    ("SHIRT", "Oxford Shirt", "50.00", "0.40", ("BLU", "WHT", "PNK"), _TOPS),
    ("FLAN", "Flannel Shirt", "68.00", "0.41", ("RED", "GRN"), _TOPS),
    ("HEN", "Waffle Henley", "48.00", "0.39", ("GRY", "OAT"), _TOPS),
    ("HOOD", "Pullover Hoodie", "72.00", "0.42", ("BLK", "GRY", "NVY"), (*_TOPS, "XXL")),
    ("CREW", "Crewneck Sweatshirt", "64.00", "0.41", ("GRY", "OLV"), _TOPS),
    ("CHINO", "Slim Chino", "78.00", "0.43", ("SND", "NVY", "BLK"), ("30", "32", "34", "36")),
    ("JEAN", "Slim Jean", "98.00", "0.44", ("IND", "BLK"), ("28", "30", "32", "34", "36")),
    ("SHORT", "Board Short", "55.00", "0.40", ("BLU", "RED", "BLK"), ("30", "32", "34", "36")),
    ("TRUNK", "Swim Trunk", "42.00", "0.38", ("NVY", "ORG"), _TOPS),
    ("RASH", "Rash Guard", "52.00", "0.40", ("BLK", "WHT"), _TOPS),
    ("LEGG", "Surf Legging", "62.00", "0.41", ("BLK", "TEA"), ("XS", "S", "M", "L", "XL")),
    ("FLEECE", "Fleece Vest", "88.00", "0.43", ("GRY", "NVY"), _TOPS),
    ("RAIN", "Rain Jacket", "145.00", "0.45", ("YEL", "NVY", "BLK"), _TOPS),
    ("PUFF", "Puffer Jacket", "180.00", "0.46", ("BLK", "OLV"), _TOPS),
    ("WETS", "Spring Wetsuit", "165.00", "0.45", ("BLK",), ("XS", *_TOPS)),
    ("BEANIE", "Rib Beanie", "24.00", "0.33", ("BLK", "RED", "GRY"), ("OS",)),
    ("CAP", "Baseball Cap", "29.00", "0.34", ("NVY", "OLV", "BLK"), ("OS",)),
    ("SOCK", "Wool Socks", "12.00", "0.30", ("GRY", "NVY"), ("S", "M", "L")),
)

# Two NetSuite items carry the same custitem_shopify_sku (an old item never cleaned up): ambiguous
# for the store that matches on that field (north); south matches on itemid, which stays unique.
AMBIGUOUS_SKUS: tuple[str, ...] = ("TEE-BLK-M", "HOOD-GRY-L")
# Items whose custom SKU field was never filled in: unknown to north, fine for south.
NO_CUSTOM_SKU_SKUS: tuple[str, ...] = ("SOCK-NVY-M", "SOCK-NVY-L", "CAP-OLV-OS")
# Items inactivated in NetSuite while Shopify still sells them: unknown to both stores.
INACTIVE_SKUS: tuple[str, ...] = ("JEAN-BLK-28", "LEGG-TEA-XS")
# A new colour live in Shopify but never created in NetSuite: unknown to both stores.
_SHOPIFY_ONLY = (("TEE", "Classic Tee", "28.00", "PNK", ("M", "L")),)
SHOPIFY_ONLY_SKUS: tuple[str, ...] = tuple(f"{c}-{col}-{s}" for c, _, _, col, sizes in _SHOPIFY_ONLY for s in sizes)

# role -> (NetSuite internal id, itemid)
SPECIAL_ITEMS: dict[str, tuple[int, str]] = {
    "handling_fee": (9001, "Loop Handling Fee"),
    "store_credit": (9002, "Store Credit"),
    "bonus": (9003, "Loop Bonus Credit"),
    "price_adjustment": (9004, "Price Adjustment"),
    "gift_card_payment": (9005, "Gift Card Payment"),
    "shipping": (9006, "Shipping"),
    "tax_rounding": (9007, "Tax Rounding"),
}

# GL accounts by role (one chart of accounts for both subsidiaries).
ACCOUNTS: dict[str, int] = {
    "cash": 111,
    "undeposited_funds": 112,
    "stripe_clearing": 115,
    "ar": 119,
    "inventory": 122,
    "tax_payable": 231,
    "customer_deposits": 235,
    "gift_card_liability": 238,
    "sales": 54,
    "sales_returns": 56,
    "shipping_income": 58,
    "other_income": 60,
    "cogs": 212,
    "return_incentive_expense": 675,
    "merchant_fees": 676,
    "shopify_payments_clearing": 116,
}

_ITEM_ID_BASE = 1001
_STORE_ID_BASES = {
    # store -> (product id base, variant id base, inventory item id base)
    "north": (8110000000000, 44110000000000, 46110000000000),
    "south": (8120000000000, 44120000000000, 46120000000000),
    "east": (8130000000000, 44130000000000, 46130000000000),
    "west": (8140000000000, 44140000000000, 46140000000000),
}


@dataclass(frozen=True)
class Catalog:
    """The built catalogue and the lookups order generation needs."""

    items: tuple[CatalogItem, ...]  # apparel (incl. problem items), then special items
    by_sku: dict[str, CatalogItem]  # Shopify SKU -> the item Shopify sells (never an -OLD twin)
    product_of: dict[str, str]  # SKU -> product code
    variants_of: dict[str, tuple[str, ...]]  # product code -> its sellable SKUs, in table order
    clean_skus: dict[str, tuple[str, ...]]  # store -> SKUs that match exactly one active item for that store

    def price(self, sku: str) -> Decimal:
        return self.by_sku[sku].price


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _item(
    ns_id: int,
    itemid: str,
    sku: str,
    custom: str | None,
    title: str,
    price: Decimal,
    cost: Decimal,
    product_index: int,
    variant_index: int,
    *,
    inactive: bool = False,
    in_netsuite: bool = True,
) -> CatalogItem:
    return CatalogItem(
        ns_id=ns_id if in_netsuite else 0,
        itemid=itemid,
        sku=sku,
        custitem_shopify_sku=custom,
        display_name=title,
        item_type="InvtPart",
        price=price,
        cost=cost,
        upccode=f"0810{variant_index + 1:08d}",
        is_inactive=inactive,
        in_netsuite=in_netsuite,
        shopify_variant_ids={k: _STORE_ID_BASES[k][1] + variant_index + 1 for k in STORE_KEYS},
        shopify_inventory_item_ids={k: _STORE_ID_BASES[k][2] + variant_index + 1 for k in STORE_KEYS},
        shopify_product_ids={k: _STORE_ID_BASES[k][0] + product_index + 1 for k in STORE_KEYS},
    )


def build_catalog() -> Catalog:
    """Build the (seed-independent) catalogue: ≥ 200 apparel variants, their problem twins and the special items."""
    items: list[CatalogItem] = []
    product_of: dict[str, str] = {}
    variants_of: dict[str, list[str]] = {}
    variant_index = 0
    for p_index, (code, name, price, ratio, colours, sizes) in enumerate(_PRODUCTS):
        for colour in colours:
            for size in sizes:
                sku = f"{code}-{colour}-{size}"
                title = f"{name} - {_COLOURS[colour]}" + ("" if size == "OS" else f" / {size}")
                items.append(
                    _item(
                        _ITEM_ID_BASE + variant_index,
                        sku,
                        sku,
                        None if sku in NO_CUSTOM_SKU_SKUS else sku,
                        title,
                        Decimal(price),
                        _cents(Decimal(price) * Decimal(ratio)),
                        p_index,
                        variant_index,
                        inactive=sku in INACTIVE_SKUS,
                    )
                )
                product_of[sku] = code
                variants_of.setdefault(code, []).append(sku)
                variant_index += 1
    for code, name, price, colour, sizes in _SHOPIFY_ONLY:
        p_index = next(i for i, p in enumerate(_PRODUCTS) if p[0] == code)
        for size in sizes:
            sku = f"{code}-{colour}-{size}"
            items.append(
                _item(
                    0,
                    sku,
                    sku,
                    sku,
                    f"{name} - {_COLOURS[colour]} / {size}",
                    Decimal(price),
                    _cents(Decimal(price) * Decimal("0.36")),
                    p_index,
                    variant_index,
                    in_netsuite=False,
                )
            )
            product_of[sku] = code
            variants_of.setdefault(code, []).append(sku)
            variant_index += 1
    by_sku = {item.sku: item for item in items}
    next_id = _ITEM_ID_BASE + variant_index
    for sku in AMBIGUOUS_SKUS:
        original = by_sku[sku]
        # The stale twin: its own itemid, the same Shopify SKU in the custom field, no Shopify variant.
        items.append(
            CatalogItem(
                ns_id=next_id,
                itemid=f"{sku}-OLD",
                sku=f"{sku}-OLD",
                custitem_shopify_sku=sku,
                display_name=f"{original.display_name} (old)",
                item_type="InvtPart",
                price=original.price,
                cost=original.cost,
            )
        )
        next_id += 1
    for ns_id, itemid in SPECIAL_ITEMS.values():
        items.append(
            CatalogItem(
                ns_id=ns_id,
                itemid=itemid,
                sku=itemid.upper().replace(" ", "-"),
                custitem_shopify_sku=None,
                display_name=itemid,
                item_type="OthCharge",
                price=Decimal("0.00"),
                cost=Decimal("0.00"),
            )
        )
    unsafe_everywhere = set(INACTIVE_SKUS) | set(SHOPIFY_ONLY_SKUS)
    clean = {
        "north": tuple(
            s for s in product_of if s not in unsafe_everywhere and s not in AMBIGUOUS_SKUS and s not in NO_CUSTOM_SKU_SKUS
        ),
        "south": tuple(s for s in product_of if s not in unsafe_everywhere),
        "east": tuple(s for s in product_of if s not in unsafe_everywhere),
        "west": tuple(s for s in product_of if s not in unsafe_everywhere),
    }
    return Catalog(
        items=tuple(items),
        by_sku=by_sku,
        product_of=product_of,
        variants_of={k: tuple(v) for k, v in variants_of.items()},
        clean_skus=clean,
    )
