"""``returns-sync chaos``: the whole lifecycle twice from one seed, once clean and once under faults, then compared.

Lives with the bench because, like it, it drives the sandbox and the product's flows in child
processes from a checkout; a production install has neither the sandbox nor this package.
One module per job: ``plan`` (what to inject), ``worker`` (one sync process), ``supervisor``
(spawning, killing and restarting them), ``receiver`` (the product's webhook receiver),
``lifecycle`` (one run of the world), ``snapshot`` (final state), ``compare`` (the counts), ``cli``.
"""
