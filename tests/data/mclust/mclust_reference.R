# Reference fits of R mclust for tests/test_hierarchical.py (CI reads the CSVs, never R).
# Regenerate from the repository root with:
#   Rscript tests/data/mclust/mclust_reference.R tests/data/mclust
# Needs R and mclust (Debian/Ubuntu: apt-get install r-cran-mclust); written with mclust 6.0.0.
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
data(diabetes, package = "mclust")
data(banknote, package = "mclust")
sets <- list(
  faithful = faithful,
  iris = iris[, 1:4],
  diabetes = diabetes[, c("glucose", "insulin", "sspg")],
  banknote = banknote[, -1]
)
# scikit-learn's names for the four forms
forms <- c(VVV = "full", EEE = "tied", VVI = "diag", VII = "spherical")
rows <- list()
for (name in names(sets)) {
  X <- data.matrix(sets[[name]])
  write.csv(X, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  for (model in names(forms)) {
    for (k in 1:6) {
      fit <- tryCatch(Mclust(X, G = k, modelNames = model, verbose = FALSE), error = function(e) NULL)
      ok <- !is.null(fit)
      rows[[length(rows) + 1]] <- data.frame(
        dataset = name, n = nrow(X), d = ncol(X), model = model, covariance_type = forms[[model]],
        k = k, loglik = if (ok) fit$loglik else NA, n_parameters = if (ok) fit$df else NA,
        bic_mclust = if (ok) fit$bic else NA)
    }
  }
}
table <- do.call(rbind, rows)
write.csv(table, file.path(out, "mclust_reference.csv"), row.names = FALSE)
cat(sprintf("mclust %s: %d models, %d fitted\n", packageVersion("mclust"), nrow(table), sum(!is.na(table$loglik))))

# All fourteen forms (tests/test_mclust_forms.py): the same fits for every model name, and the model
# mclust's BIC picks from all of them (its default grid, G = 1..9, and G = 1..6).
models <- mclust.options("emModelNames")
rows <- list()
best <- list()
for (name in names(sets)) {
  X <- data.matrix(sets[[name]])
  for (model in models) {
    for (k in 1:6) {
      fit <- tryCatch(Mclust(X, G = k, modelNames = model, verbose = FALSE), error = function(e) NULL)
      ok <- !is.null(fit)
      rows[[length(rows) + 1]] <- data.frame(
        dataset = name, n = nrow(X), d = ncol(X), model = model, k = k,
        loglik = if (ok) fit$loglik else NA, n_parameters = if (ok) fit$df else NA,
        bic_mclust = if (ok) fit$bic else NA)
    }
  }
  for (G in list(1:9, 1:6)) {
    fit <- Mclust(X, G = G, verbose = FALSE)
    best[[length(best) + 1]] <- data.frame(
      dataset = name, max_k = max(G), model = fit$modelName, k = fit$G, loglik = fit$loglik,
      n_parameters = fit$df, bic_mclust = fit$bic)
  }
}
forms <- do.call(rbind, rows)
write.csv(forms, file.path(out, "mclust_forms.csv"), row.names = FALSE)
write.csv(do.call(rbind, best), file.path(out, "mclust_best.csv"), row.names = FALSE)
cat(sprintf("all forms: %d models, %d fitted\n", nrow(forms), sum(!is.na(forms$loglik))))

# The merge costs mclust's hcvvv reports for a small sample (the form it gives groups of at most
# p rows is checked against them): hcvvv is called as mclust's own hcVVV calls it.
set.seed(1)
X <- matrix(rnorm(8 * 3), 8, 3)
n <- nrow(X); p <- ncol(X); m <- n - 1
alpha <- max(mclust:::traceW(X / sqrt(n * p)), .Machine$double.eps)
ld <- max(n, n * (n - 1) / 2 + 1, 3 * m)
hcvvv <- .Fortran("hcvvv", cbind(X, 0), as.integer(n), as.integer(p), as.integer(1:n), as.integer(n),
                  as.integer(m), as.double(alpha), as.double(1), double(p), double(p * p), double(p * p),
                  double(p * p), as.integer(ld), double(ld), PACKAGE = "mclust")
write.csv(X, file.path(out, "hcvvv_probe_rows.csv"), row.names = FALSE)
write.csv(data.frame(a = hcvvv[[1]][1:m, 1], b = hcvvv[[1]][1:m, 2], change = hcvvv[[14]][1:m]),
          file.path(out, "hcvvv_probe_merges.csv"), row.names = FALSE)
