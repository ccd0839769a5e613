# Reference covariance parameter counts: mclust's nVarParams(modelName, d, G) for the
# fourteen covariance forms, d = 1..5, G = 1..6.  Run from this folder:
#     Rscript nvarparams.R
# writes nvarparams.csv, read by tests/test_mclust_forms_math.py (CI has no R).
suppressPackageStartupMessages(library(mclust))
forms <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV")
rows <- expand.grid(G = 1:6, d = 1:5, model = forms, stringsAsFactors = FALSE)
rows$n_parameters <- mapply(function(m, d, G) nVarParams(m, d, G), rows$model, rows$d, rows$G)
rows <- rows[, c("model", "d", "G", "n_parameters")]
write.csv(rows, "nvarparams.csv", row.names = FALSE, quote = FALSE)
cat("mclust", as.character(packageVersion("mclust")), ":", nrow(rows), "rows\n")
