"""sslrec_utils: the helper package of the SSL-Rec Book (its API reference is appendix B of the book).

Layers, lowest first; a module never imports one of a higher layer (tests/test_layers.py checks it)::

    config -> data -> splits -> metrics -> losses, models -> batching, distributed, outdir -> train
      -> experiment, robustness -> recommend, reports, report_params, report_content, report_verdict -> cli

`applications`, `chapter_params`, `kernels`, `plotting` and `profiling` stand apart: they import nothing from the
package but `profiling`.

Where to start:

- `experiment.DataSpec` and `experiment.run_experiment`: load a data set (MovieLens, a CSV/TSV/Parquet file or a
  ``synthetic:UxIxN`` log), split it, train one model with validation, test it, optionally write a run folder
  (what ``sslrec train`` does).
- `data.load_movielens`, `data.load_interactions`, `data.preprocess` and `splits.make_split`: the same steps one
  by one.
- `models.build_model` and `train.fit` with `train.TrainConfig`: build a model by name and train it.
- `train.evaluate_model` and `metrics.evaluate`: full-ranking recall, NDCG, hit rate and MRR.
- `recommend.TrainedRecommender`: reload a run folder and recommend for known users, a new history or an item.
- `cli`: the ``sslrec`` command (``sslrec --help``).
"""

__version__ = "0.1.0"
