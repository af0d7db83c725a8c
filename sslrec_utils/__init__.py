"""sslrec_utils: the helper package of the SSL-Rec Book.

Layers, lowest first (a layer never imports a higher one): `data` -> `splits` -> `metrics` -> `losses`,
`models` -> `train` -> `recommend`, `plotting`, `reports` -> `cli`.
"""

__version__ = "0.1.0"
