"""File and chunk sources: the same fit as in memory, bounded reads, clear errors."""

import warnings

import numpy as np
import pytest
from conftest import COVARIANCE_TYPES, make_blobs3

from gaussmix import GaussianMixture, from_chunks, from_file
from gaussmix.data import ArrayData, fill_output

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

X3 = make_blobs3()
W3 = np.random.RandomState(1).randint(1, 4, size=len(X3)).astype(np.float64)


def fitted(source, **kw):
    params = dict(n_components=3, random_state=0, tol=0.0, max_iter=15) | kw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges
        return GaussianMixture(**params).fit(source)


def assert_same_fit(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.means_, b.means_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=rtol)
    assert a.n_iter_ == b.n_iter_


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    frame = pd.DataFrame(X3, columns=["a", "b", "c"]).assign(w=W3, label=["x"] * len(X3))
    paths = {"npy": folder / "x.npy", "npy_w": folder / "xw.npy", "parquet": folder / "x.parquet",
             "csv": folder / "x.csv", "folder": folder / "parts"}
    np.save(paths["npy"], X3)
    np.save(paths["npy_w"], np.c_[X3, W3])
    frame.to_parquet(paths["parquet"], row_group_size=64)
    frame.to_csv(paths["csv"], index=False, float_format="%.17g")
    paths["folder"].mkdir()
    for i, start in enumerate(range(0, len(X3), 150)):  # sorted names give row order
        frame.iloc[start:start + 150].to_parquet(paths["folder"] / f"part-{i:03d}.parquet")
    return paths


def sources(files, weighted=False):
    features = ["a", "b", "c"]
    w = "w" if weighted else None
    return {
        "npy": from_file(files["npy_w"], columns=[0, 1, 2], weights_column=3 if weighted else None, chunk_rows=41),
        "parquet": from_file(files["parquet"], columns=features, weights_column=w),
        "parquet-folder": from_file(files["folder"], columns=features, weights_column=w, chunk_rows=100),
        "csv": from_file(files["csv"], columns=features, weights_column=w, chunk_rows=77),
        "chunks": from_chunks(
            lambda: ((X3[i:i + 50], W3[i:i + 50]) if weighted else X3[i:i + 50] for i in range(0, len(X3), 50))
        ),
    }


@pytest.mark.parametrize(
    "kind, init_params",
    [(kind, "kmeans") for kind in ("npy", "parquet", "parquet-folder", "csv", "chunks")]
    + [("csv", init) for init in ("k-means++", "random", "random_from_data")],
)
def test_fit_equals_in_memory_with_same_random_state(files, kind, init_params):
    # The source is smaller than the initialization sample, so it is sampled whole and
    # in order: the same random_state gives the same start, hence the same fit.
    source = sources(files)[kind]
    assert_same_fit(fitted(source, init_params=init_params), fitted(X3, init_params=init_params))


@pytest.mark.parametrize(
    "kind, covariance_type",
    [(kind, "full") for kind in ("npy", "parquet", "csv", "chunks")] + [("parquet", t) for t in COVARIANCE_TYPES[1:]],
)
def test_weighted_fit_equals_in_memory(files, kind, covariance_type):
    source = sources(files, weighted=True)[kind]
    expected = GaussianMixture(3, covariance_type=covariance_type, random_state=0, tol=0, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected.fit(X3, sample_weight=W3)
    assert_same_fit(fitted(source, covariance_type=covariance_type), expected)


def test_fit_from_given_start_equals_in_memory_beyond_sample(files, monkeypatch):
    # A source larger than the sample: the start differs, but from the same initial
    # parameters every EM iteration reads the whole source and agrees with memory.
    import gaussmix.data.stream as stream

    monkeypatch.setattr(stream.StreamedSource.init_sample, "__defaults__", (50,))
    start = fitted(X3, max_iter=1)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    assert_same_fit(fitted(sources(files)["csv"], **init), fitted(X3, **init))


def test_reservoir_sample_is_reproducible_uniform_and_bounded(files):
    source = sources(files)["npy"]
    a = source.init_sample(np.random.RandomState(0), size=100)
    b = source.init_sample(np.random.RandomState(0), size=100)
    c = source.init_sample(np.random.RandomState(1), size=100)
    assert a.X.shape == (100, 3)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    # every sampled row is a distinct row of the source
    rows = {tuple(r) for r in X3}
    assert all(tuple(r) in rows for r in a.X) and len({tuple(r) for r in a.X}) == 100
    # uniform: over many seeds each row's inclusion frequency is near 100/370
    counts = np.zeros(len(X3))
    index = {tuple(r): i for i, r in enumerate(X3)}
    for seed in range(200):
        for r in source.init_sample(np.random.RandomState(seed), size=100).X:
            counts[index[tuple(r)]] += 1
    freq = counts / 200
    assert abs(freq[:100].mean() - 100 / 370) < 0.03 and abs(freq[-100:].mean() - 100 / 370) < 0.03


def test_large_source_fit_is_reproducible_and_good(files, monkeypatch):
    import gaussmix.data.stream as stream

    monkeypatch.setattr(stream.StreamedSource.init_sample, "__defaults__", (60,))
    a = GaussianMixture(3, random_state=0).fit(sources(files)["parquet"])
    b = GaussianMixture(3, random_state=0).fit(sources(files)["parquet"])
    np.testing.assert_array_equal(a.means_, b.means_)
    ref = GaussianMixture(3, random_state=0).fit(X3)
    assert a.score(X3) == pytest.approx(ref.score(X3), rel=1e-3)


def test_predictions_on_sources_and_to_npy(files, tmp_path):
    gm = fitted(X3)
    source = sources(files)["csv"]
    np.testing.assert_array_equal(gm.predict(source), gm.predict(X3))
    np.testing.assert_allclose(gm.predict_proba(source), gm.predict_proba(X3), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gm.score_samples(source), gm.score_samples(X3), rtol=1e-12)
    assert gm.score(source) == pytest.approx(gm.score(X3), rel=1e-12)
    assert gm.bic(source) == pytest.approx(gm.bic(X3), rel=1e-12)
    assert gm.aic(source) == pytest.approx(gm.aic(X3), rel=1e-12)
    weighted = sources(files, weighted=True)["parquet"]
    assert gm.score(weighted) == pytest.approx(gm.score(X3, sample_weight=W3), rel=1e-12)
    assert gm.bic(weighted) == pytest.approx(gm.bic(X3, sample_weight=W3), rel=1e-12)

    out = tmp_path / "resp.npy"
    written = gm.predict_proba(source, out=out)
    np.testing.assert_allclose(np.load(out), gm.predict_proba(X3), rtol=1e-12, atol=1e-15)
    assert written.shape == (len(X3), 3)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        gm.predict(source, out=out)
    np.testing.assert_allclose(np.load(out), gm.predict_proba(X3), rtol=1e-12, atol=1e-15)  # untouched
    gm.predict(source, out=out, overwrite=True)
    np.testing.assert_array_equal(np.load(out), gm.predict(X3))
    gm.score_samples(X3, out=tmp_path / "s.npy")  # also for arrays
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), gm.score_samples(X3))
    with pytest.raises(ValueError, match=".npy"):
        gm.predict(source, out=tmp_path / "labels.txt")


def test_fit_predict_and_warm_start_on_source(files):
    source = sources(files)["npy"]
    labels = GaussianMixture(3, random_state=0).fit_predict(source)
    np.testing.assert_array_equal(labels, GaussianMixture(3, random_state=0).fit_predict(X3))
    gm = GaussianMixture(3, random_state=0, max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(source).fit(source)
        ref = GaussianMixture(3, random_state=0, max_iter=2, warm_start=True).fit(X3).fit(X3)
    assert_same_fit(gm, ref)
    assert gm.n_features_in_ == 3 and not hasattr(gm, "feature_names_in_")


def test_float32_npy_is_streamed_in_float32(tmp_path):
    path = tmp_path / "x32.npy"
    np.save(path, X3.astype(np.float32))
    source = from_file(path)
    assert source.dtype == np.float32
    gm = fitted(source)
    assert_same_fit(gm, fitted(X3.astype(np.float32)), rtol=1e-9)
    assert gm.predict_proba(source).dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_source_rows_read_in_bounded_chunks(files):
    source = from_file(files["npy"], chunk_rows=64)
    sizes = [stop - start for start, stop, _, _ in source.chunks()]
    assert max(sizes) == 64 and sum(sizes) == len(X3)
    # without chunk_rows the estimator's chunk_size is used
    source = from_file(files["parquet"], columns=["a", "b", "c"])
    GaussianMixture(3, chunk_size=30, max_iter=1, tol=1e99).fit(source)
    assert max(stop - start for start, stop, _, _ in source.chunks()) == 30


def test_csv_row_count_known_after_first_pass(files):
    source = from_file(files["csv"], columns=["a", "c"])
    assert source._n_samples is None
    assert source.n_samples == len(X3) and source.n_features == 2


def test_chunks_source_reads_once_per_iteration():
    calls = []

    def make_iter():
        calls.append(1)
        return iter([X3[:200], X3[200:]])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        GaussianMixture(3, max_iter=5, tol=0, random_state=0).fit(from_chunks(make_iter))
    # construction peeks once, initialization samples once, then one pass per iteration
    assert len(calls) == 1 + 1 + 5


# ------------------------------------------------------------------- bad sources
def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        from_file(tmp_path / "nope.npy")
    (tmp_path / "x.txt").write_text("1,2\n")
    with pytest.raises(ValueError, match="Cannot tell the format"):
        from_file(tmp_path / "x.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .parquet files"):
        from_file(tmp_path / "empty")


def test_wrong_and_non_numeric_columns(files):
    for kind in ("parquet", "csv"):
        with pytest.raises(ValueError, match="'z' not found.*'a', 'b', 'c'"):
            from_file(files[kind], columns=["a", "z"])
        with pytest.raises(ValueError, match="'nope' not found"):
            from_file(files[kind], columns=["a"], weights_column="nope")
        with pytest.raises(TypeError, match="'label'.*not numeric"):
            from_file(files[kind])  # every column, including the text one
        with pytest.raises(ValueError, match="also a feature"):
            from_file(files[kind], columns=["a", "w"], weights_column="w")
    with pytest.raises(ValueError, match="out of range"):
        from_file(files["npy"], columns=[0, 5])


def test_ragged_empty_and_non_finite_chunks(tmp_path):
    ragged = from_chunks(lambda: iter([X3[:10], X3[10:20, :2]]))
    with pytest.raises(ValueError, match="chunk 1 .*2 columns but the source has 3: chunks are ragged"):
        GaussianMixture(2).fit(ragged)
    with pytest.raises(ValueError, match="empty"):
        from_chunks(lambda: iter([]))
    with pytest.raises(ValueError, match="empty"):
        GaussianMixture(2).fit(from_chunks(lambda: iter([np.empty((0, 3))])))
    with pytest.raises(TypeError, match="callable"):
        from_chunks([X3])
    bad = X3.copy()
    bad[123, 1] = np.nan
    with pytest.raises(ValueError, match=r"chunk 2 \(rows from 100\).*NaN.*row 123"):
        GaussianMixture(2).fit(from_chunks(lambda: (bad[i:i + 50] for i in range(0, len(bad), 50))))
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(ValueError, match="row 123"):
        GaussianMixture(2).fit(from_file(tmp_path / "bad.npy"))
    pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": [1.0, 2.0, 3.0, 4.0]}).to_parquet(tmp_path / "null.parquet")
    with pytest.raises(ValueError, match="missing value at row 2"):
        GaussianMixture(1).fit(from_file(tmp_path / "null.parquet"))
    pd.DataFrame({"a": [1.0, 2.0], "w": [1.0, -1.0]}).to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(ValueError, match="negative at row 1"):
        GaussianMixture(1).fit(from_file(tmp_path / "w.csv", weights_column="w"))
    np.save(tmp_path / "empty.npy", np.empty((0, 3)))
    with pytest.raises(ValueError, match="empty"):
        from_file(tmp_path / "empty.npy")
    with pytest.raises(TypeError, match="weights_column"):
        GaussianMixture(1).fit(from_chunks(lambda: iter([X3])), sample_weight=np.ones(len(X3)))


def test_too_few_rows_and_feature_mismatch(files):
    with pytest.raises(ValueError, match="n_components = 5"):
        GaussianMixture(5).fit(from_chunks(lambda: iter([X3[:3]])))
    gm = fitted(X3)
    with pytest.raises(ValueError, match="2 features.*expecting 3"):
        gm.predict(from_file(files["npy"], columns=[0, 1]))


def test_fill_output_refuses_non_paths():
    with pytest.raises(TypeError, match="path"):
        fill_output(np.empty(3), (3,), np.float64, lambda target: None)


def test_array_data_and_source_give_same_statistics(files):
    from gaussmix.core import EStep

    gm = fitted(X3)
    estep = EStep(gm._params(3), np.float64)
    a = ArrayData(X3, W3, chunk_rows=1000).reduce(estep.stats)
    b = sources(files, weighted=True)["parquet-folder"].reduce(estep.stats)
    for name in ("n", "nk", "s1", "s2", "loglik"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12)


def test_reservoir_grows_for_sources_of_unknown_length():
    rng = np.random.RandomState(0)
    X, w = rng.normal(size=(3000, 2)), rng.uniform(size=3000)
    source = from_chunks(lambda: ((X[i:i + 700], w[i:i + 700]) for i in range(0, 3000, 700)))
    whole = source.init_sample(np.random.RandomState(0), size=5000)  # all rows, in order
    np.testing.assert_array_equal(whole.X, X)
    np.testing.assert_array_equal(whole.sample_weight, w)
    part = source.init_sample(np.random.RandomState(0), size=2500)
    index = {tuple(r): i for i, r in enumerate(X)}
    rows = np.array([index[tuple(r)] for r in part.X])
    assert part.X.shape == (2500, 2) and len(set(rows)) == 2500
    np.testing.assert_array_equal(part.sample_weight, w[rows])  # rows keep their weights


# ------------------------------------------------------------- invalid rows, dtype
def test_invalid_rows_are_counted_or_dropped(tmp_path):
    from gaussmix import InvalidRowsError

    bad = X3.copy()
    bad[[7, 123, 124, 300], [0, 1, 2, 0]] = [np.nan, np.inf, -np.inf, np.nan]
    valid = np.isfinite(bad).all(axis=1)
    np.save(tmp_path / "bad.npy", bad)
    pd.DataFrame(bad, columns=["a", "b", "c"]).assign(w=W3).to_csv(tmp_path / "bad.csv", index=False,
                                                                    float_format="%.17g")
    for source in (from_file(tmp_path / "bad.npy", chunk_rows=50),
                   from_file(tmp_path / "bad.csv", weights_column="w"),
                   from_chunks(lambda: (bad[i:i + 60] for i in range(0, len(bad), 60)))):
        with pytest.raises(InvalidRowsError, match=r"at row 7 \(4 rows .* in all") as info:
            GaussianMixture(2).fit(source)
        assert (info.value.n_invalid, info.value.first_row) == (4, 7)
    # A row whose weight is missing is invalid too; a negative weight is an error in both modes.
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "w": [1.0, None, 1.0, -1.0]})
    frame.to_parquet(tmp_path / "w.parquet")
    with pytest.raises(InvalidRowsError, match="at row 1"):
        list(from_file(tmp_path / "w.parquet", weights_column="w").chunks())
    with pytest.raises(ValueError, match="negative at row 3"):
        from_file(tmp_path / "w.parquet", weights_column="w", on_invalid="drop").n_samples

    # Dropped: the same fit as the valid rows in memory, on every pass, with weights.
    for source, weights in ((from_file(tmp_path / "bad.npy", chunk_rows=50, on_invalid="drop"), None),
                            (from_file(tmp_path / "bad.csv", weights_column="w", on_invalid="drop"), W3[valid]),
                            (from_chunks(lambda: (bad[i:i + 60] for i in range(0, len(bad), 60)),
                                         on_invalid="drop"), None)):
        assert source.n_samples == valid.sum() and source.n_invalid == 4
        assert_same_fit(fitted(source), fitted_weighted(bad[valid], weights))
        gm = fitted(source)
        np.testing.assert_array_equal(gm.predict(source), gm.predict(bad[valid]))
    every = from_chunks(lambda: iter([np.full((5, 2), np.nan)]), on_invalid="drop")
    with pytest.raises(InvalidRowsError, match="no valid rows: all 5"):
        every.n_samples
    with pytest.raises(ValueError, match="on_invalid"):
        from_file(tmp_path / "bad.npy", on_invalid="skip")


def fitted_weighted(X, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(3, random_state=0, tol=0.0, max_iter=15).fit(X, sample_weight=weights)


def test_dtype_option(files):
    source = from_file(files["csv"], columns=["a", "b"], dtype="float32")
    assert source.dtype == np.float32
    assert next(source.chunks())[2].dtype == np.float32
    gm = fitted(source)
    assert_same_fit(gm, fitted(X3[:, :2].astype(np.float32)), rtol=1e-6)
    with pytest.raises(ValueError, match="dtype"):
        from_file(files["npy"], dtype="int8")


def test_progress_hook_sees_every_pass(files):
    seen = []
    source = from_file(files["npy"], chunk_rows=100)
    source.progress = lambda rows, index: seen.append((index, rows))
    gm = fitted(source, max_iter=3)
    starts = [rows for _, rows in seen if rows == 0]
    assert len(starts) == 1 + gm.n_iter_  # the initialization sample, then one pass per EM iteration
    assert all(rows <= len(X3) for _, rows in seen) and (len(starts) - 1, len(X3)) in seen


def test_select_on_a_file_source_equals_in_memory(files, monkeypatch):
    from gaussmix import select
    from gaussmix.data import StreamedSource

    kw = dict(n_components=[1, 3], covariance_types=("full", "diag"), n_init=2, random_state=0,
              init_params="kmeans", tol=1e-3, max_iter=100)  # GaussianMixture's defaults, as compared below
    on_file, in_memory = select(from_file(files["npy"], chunk_rows=64), **kw), select(X3, **kw)
    for a, b in zip(on_file.candidates, in_memory.candidates):
        assert a.key == b.key
        np.testing.assert_allclose(a.bic, b.bic, rtol=1e-10)
    # A source larger than the initialization sample: every candidate is the model its own
    # GaussianMixture fit on the source gives (the sample drawn with the candidate's seed).
    sample = StreamedSource.init_sample
    monkeypatch.setattr(StreamedSource, "init_sample", lambda self, rng, size=100: sample(self, rng, size))
    result = select(from_file(files["npy"], chunk_rows=64), **kw)
    for k, t in result.ranking:
        gm = GaussianMixture(k, covariance_type=t, n_init=2, random_state=0)
        assert_same_fit(result.model(k, t), gm.fit(from_file(files["npy"], chunk_rows=64)))


@pytest.mark.parametrize("fmt", ["npy", "csv", "parquet"])
def test_a_file_changed_after_opening_is_refused(tmp_path, fmt):
    pytest.importorskip("pyarrow")
    X = np.random.RandomState(0).normal(size=(200, 2))
    path = tmp_path / f"x.{fmt}"

    def write(rows):
        if fmt == "npy":
            np.save(path, rows)
        else:
            import pyarrow as pa
            import pyarrow.csv
            import pyarrow.parquet

            table = pa.table({"a": rows[:, 0], "b": rows[:, 1]})
            (pyarrow.csv.write_csv if fmt == "csv" else pyarrow.parquet.write_table)(table, path)

    write(X)
    source = from_file(path)
    gm = GaussianMixture(2, random_state=0).fit(source)
    before = gm.means_.copy()
    write(X[::-1] + 1.0)  # same number of rows, other values
    with pytest.raises(ValueError, match="changed on disk since it was opened"):
        gm.fit(source)
    np.testing.assert_array_equal(gm.means_, before)  # the previous fit is kept whole
    path.unlink()
    with pytest.raises(FileNotFoundError, match="no longer exists"):
        gm.predict(source)


def test_column_names_that_are_not_utf8_are_named(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\xff\xfe,b\n1,2\n3,4\n5,6\n")
    with pytest.raises(ValueError, match="latin.csv.*not UTF-8"):
        from_file(path)


@pytest.mark.parametrize("kind", ["npy", "csv", "parquet"])
def test_hierarchical_start_on_a_file_equals_in_memory(files, kind):
    """A source smaller than the initialization sample starts from all its rows, as an array does."""
    if kind != "npy":
        pytest.importorskip("pyarrow")
    kw = dict(n_components=3, init_params="hierarchical", random_state=0)
    columns = None if kind == "npy" else ["a", "b", "c"]
    source = from_file(files[kind], chunk_rows=64, **({} if columns is None else {"columns": columns}))
    assert_same_fit(GaussianMixture(**kw).fit(source), GaussianMixture(**kw).fit(X3))
