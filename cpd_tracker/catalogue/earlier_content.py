"""Fingerprints (``fingerprints.py``) of every earlier version of the built-in catalogue's
content: each module's summary and pages as shipped before the content was corrected (issue
16: "last reviewed" dates, dated proposals, fixes to the Code of Practice and trauma pages).

Made from ``cpd_tracker/catalogue/seed_data.py`` as it stood at commits 0efcab2 (the seed
catalogue, 27 November 2026) and 65ffaa5 (the fair knowledge check, 7 December 2026), the
versions organisations created before a843859 were given. When the seed content changes
again, add the fingerprints of the version being replaced here (``fingerprints.module_prints``
of each of its modules), so organisations created with it can be refreshed too, and set
``SHIPPED_NOW`` to the new version's ``fingerprints.catalogue_print`` (a test holds the two
together).
"""

from __future__ import annotations

#: ``catalogue_print(CATALOGUE)`` of the content shipped now (a843859).
SHIPPED_NOW = "a5541a7e6f151c302d4d4094dd515cbd8493c7f001835b7355d4b79729b86e9a"

EARLIER: dict[str, frozenset[str]] = {
    "autism-awareness": frozenset(
        {
            "daae2259f2c63b87cb480bc6002206e9290a247050c5f3f93b120858b8a42b12",
        }
    ),
    "autism-good-practice": frozenset(
        {
            "0c7cfae3e3c25e6e3e8e64bcd40d2a673e82f7f6c28692c1e875e910c9313b93",
        }
    ),
    "autism-leading-practice": frozenset(
        {
            "6dd8e71ebf2b9bb188163db7e630f38a3d1c99d1fff887a67f3bcb8bbb2dc198",
        }
    ),
    "behaviour-de-escalation-12h": frozenset(
        {
            "1f6c58d3c5d786fd26ac625e3b8aa93d57469d2f905d0f843eca6f71c18abcd0",
        }
    ),
    "behaviour-de-escalation-6h": frozenset(
        {
            "3d9956456286ad536053c6b3cc0a019a2163ad7dbb10098185898452e097313d",
        }
    ),
    "early-language-interventions": frozenset(
        {
            "b6e9e7615094b51d84c9480a8b811f72f702e8d1e37eb0177a3e99df4b1c449e",
        }
    ),
    "npq-for-sencos": frozenset(
        {
            "203f51c2dd5566b0ab331c1f06c31333eceb6ca0b67298442d42823f941a8d55",
        }
    ),
    "ordinarily-available-provision": frozenset(
        {
            "778f398727f945a3ca34d151043c72c86cad4df430c308852ed5bf09e188f4b3",
        }
    ),
    "send-code-of-practice-essentials": frozenset(
        {
            "1af4d038f181b855e049e100764c0cd651f1db654dbc803b1d7a44a47a386c72",
            "1b01522c60b0e8fb1780b6b471d306a7d054fe0abe822e25def10478a790a57b",
            "75cb4fc9c7e19fe4c2321bbcacdff786e4a76feaa90493b1a6bb05b50aea835e",
            "8dec5b5a5f2d9a52b759dfe4acd142ba91855269653ae752d4f355bc12a164a9",
            "ab1140d081cc7da81a55a358a58c7eadaca36f02ebc80737a2c672e3e87d9f8e",
            "ecd9800336882ddfb38dc93e54c6da912936138d0b283ccaf6f8a2f463e78483",
            "eebb6bd1df69d839cb65fdb57bc3c5be9df5b8bdc499d023ef49fdcf80bef205",
        }
    ),
    "send-for-governors": frozenset(
        {
            "c47e4ea7b661640108f8367e0e3dc7f6f2f1ce4cabe6bf08ea29ee316efe087a",
        }
    ),
    "send-for-school-and-trust-leaders": frozenset(
        {
            "ee378dddb3e95f8e5c1d195bcf97ec60f0b37f3ff3c0b869eeaba2578a4c283f",
        }
    ),
    "slcn-lead-practitioner": frozenset(
        {
            "7a1f88208667f4f0a4b7471f146795ab412fc52620ecd8f279549c7d782c2070",
        }
    ),
    "slcn-supporting-pupils": frozenset(
        {
            "eaff8750d05adf089e47c9e8c36d6b9ed65997dee499c4d923b3516b4f3563e4",
        }
    ),
    "spld-in-the-classroom": frozenset(
        {
            "aa15eba2f253c869c53d32046d674e875c1ffa99613dd296521cf96c4a32aee4",
        }
    ),
    "spld-specialist-teacher": frozenset(
        {
            "3e711caee178099f445f94838c671fc88ec3e55da456aa7ffe2dbe3b94e3d363",
        }
    ),
    "trauma-informed-practice-basics": frozenset(
        {
            "01bc82c27ee9945f40ac8173715d5f34ac1c606b438193c639d81fc097468eb3",
            "59f96ca15db24b5219a8c8c14ff0b6d666e2222a65f2589a63b849a7b53b98ca",
            "a0873080adfafd9fe0c53db0992c0d834564518465c2b647691329b43c87d6e3",
            "b0f182b891b6fb0e624e3333fbe77a45a00fa792289aae3fc3d9e199e3d66df6",
            "db3821f24555f496997f3e2d6e82b294b33849b893122e6d118bd067d7458da3",
            "db6f2d4319109eef44bef51820ad42b0b29fced6d1945140d103d17fa2f6f32f",
            "e9ba8295b8b97791c15f8bc8770d543c9861b34cf47bcd68e0940e64b8eb5835",
        }
    ),
    "trauma-informed-practice-senior-leaders": frozenset(
        {
            "e138749fe97b1bd6171afb7237b7623a00b317998ed86db5fd0253f485527b8b",
        }
    ),
    "trauma-informed-practitioner-diploma": frozenset(
        {
            "b02b952927ec11efc5c14523d2da471d76751b4adf6b74c1ea0a9a897cf54ba0",
        }
    ),
    "working-with-families": frozenset(
        {
            "cbeb23dbf31f14ef46b2e1489a87964d556eac1267a7afc6b31cd8d3b5343839",
        }
    ),
}
