"""The seed catalogue of SEND training: the modules every new organisation starts with.

``seed_data.CATALOGUE`` lists them as plain frozen dataclasses (no database rows), including the
pages and knowledge checks of the in-tool modules; seeding copies them into each organisation's
own catalogue, which its CPD lead can then edit, price and retire independently.
"""
