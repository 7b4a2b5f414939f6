| cause | support test | F1 test | support train | F1 train |
|---|---|---|---|---|
| converged | 27 | 0.81 | 51 | 0.79 |
| diverged | 17 | 0.88 | 43 | 0.94 |
| lr_too_high | 24 | 0.79 | 36 | 0.69 |
| lr_too_low | 15 | 0.64 | 45 | 0.82 |
| overfitting | 12 | 0.91 | 38 | 0.92 |
| still_improving | 8 | 0.75 | 18 | 0.73 |
| stuck_at_init | 10 | 0.95 | 35 | 0.93 |
| label \ verdict | converged | diverged | lr_too_high | lr_too_low | overfitting | still_improving | stuck_at_init | temporary_plateau | underfitting |
|---|---|---|---|---|---|---|---|---|---|
| converged | 23 | 1 | 2 |  |  | 1 |  |  |  |
| diverged |  | 15 | 2 |  |  |  |  |  |  |
| lr_too_high | 1 |  | 19 |  |  |  |  | 1 | 3 |
| lr_too_low | 4 |  |  | 7 |  | 1 |  | 2 | 1 |
| overfitting | 1 |  | 1 |  | 10 |  |  |  |  |
| still_improving | 1 |  |  |  |  | 6 |  |  | 1 |
| stuck_at_init |  | 1 |  |  |  |  | 9 |  |  |
| label \ verdict | converged | diverged | lr_too_high | lr_too_low | overfitting | still_improving | stuck_at_init | no_signal | temporary_plateau | underfitting |
|---|---|---|---|---|---|---|---|---|---|---|
| converged | 41 |  | 3 |  |  | 3 |  |  |  | 4 |
| diverged |  | 41 |  |  |  |  | 2 |  |  |  |
| lr_too_high | 5 | 1 | 22 |  | 1 |  | 1 |  |  | 6 |
| lr_too_low | 4 |  |  | 31 |  | 7 |  |  | 2 | 1 |
| overfitting | 1 |  | 3 |  | 33 |  |  | 1 |  |  |
| still_improving | 2 |  |  |  |  | 16 |  |  |  |  |
| stuck_at_init |  | 2 |  |  |  |  | 33 |  |  |  |
| method | accuracy | lenient | macro-F1 | named-F1 | plateau-F1 | X err (% of run) | runs/s |
|---|---|---|---|---|---|---|---|
| losslens | 88% | 91% | 0.88 | 0.88 | 0.93 | 5.3 | 138 |
| naive | 28% | 28% | 0.16 | 0.45 | 0.93 | 21.0 | 33336 |
| trainspotter | 16% | 16% | 0.11 | 0.24 | 0.63 | 58.5 | 131 |
| keras_es_p5 | — | — | — | 0.25 | 0.82 | 27.7 | 1802 |
| keras_es_p10 | — | — | — | 0.19 | 0.79 | 32.3 | 1258 |
| torch_rop | — | — | — | 0.19 | 0.79 | 40.4 | 10306 |
| prechelt_gl5 | — | — | — | 0.44 | 0.61 | 39.1 | 25664 |
| prechelt_pq3 | — | — | — | 0.57 | 0.17 | 55.0 | 7214 |
| prechelt_up3 | — | — | — | 0.40 | 0.51 | 46.2 | 26985 |
| held-out | losslens | 95% interval | target | share of resamples meeting it | best other method | losslens − it (95% interval) | share of resamples where losslens is ahead |
|---|---|---|---|---|---|---|---|
| macro-F1 | 0.88 | 0.66 – 0.94 | >= 0.85 | 32% | naive 0.16 | +0.71 (+0.50 to +0.79) | 100% |
| X err (% of run) | 5.28 | 3.15 – 7.65 | <= 5 | 43% | naive 20.98 | -15.70 (-28.96 to -4.64) | 100% |
| method | accuracy | lenient | macro-F1 | named-F1 | plateau-F1 | X err (% of run) | runs/s |
|---|---|---|---|---|---|---|---|
| losslens | 90% | 91% | 0.89 | 0.89 | 0.94 | 9.0 | 138 |
| naive | 36% | 38% | 0.20 | 0.54 | 0.95 | 23.3 | 33336 |
| trainspotter | 16% | 23% | 0.13 | 0.28 | 0.65 | 44.2 | 131 |
| keras_es_p5 | — | — | — | 0.47 | 0.88 | 21.9 | 1802 |
| keras_es_p10 | — | — | — | 0.44 | 0.86 | 25.1 | 1258 |
| torch_rop | — | — | — | 0.44 | 0.86 | 34.1 | 10306 |
| prechelt_gl5 | — | — | — | 0.45 | 0.62 | 30.1 | 25664 |
| prechelt_pq3 | — | — | — | 0.24 | 0.33 | 53.8 | 7214 |
| prechelt_up3 | — | — | — | 0.43 | 0.64 | 38.8 | 26985 |
| cause | support test | F1 test | support train | F1 train |
|---|---|---|---|---|
| converged | 4 | 0.80 | 9 | 0.84 |
| data_limited | 2 | 1.00 | 8 | 0.86 |
| diverged | 4 | 0.89 | 9 | 0.95 |
| lr_too_high | 5 | 0.33 | 8 | 0.71 |
| lr_too_low | 4 | 1.00 | 11 | 0.92 |
| no_signal | 5 | 1.00 | 10 | 1.00 |
| overfitting | 4 | 0.89 | 10 | 0.95 |
| still_improving | 2 | 0.80 | 13 | 0.93 |
| stuck_at_init | 1 | 1.00 | 14 | 0.97 |
| temporary_plateau | 5 | 1.00 | 5 | 1.00 |
| underfitting | 7 | 0.92 | 8 | 0.67 |
| label \ verdict | converged | data_limited | diverged | lr_too_high | lr_too_low | no_signal | overfitting | still_improving | stuck_at_init | temporary_plateau | underfitting |
|---|---|---|---|---|---|---|---|---|---|---|---|
| converged | 4 |  |  |  |  |  |  |  |  |  |  |
| data_limited |  | 2 |  |  |  |  |  |  |  |  |  |
| diverged |  |  | 4 |  |  |  |  |  |  |  |  |
| lr_too_high | 2 |  | 1 | 1 |  |  | 1 |  |  |  |  |
| lr_too_low |  |  |  |  | 4 |  |  |  |  |  |  |
| no_signal |  |  |  |  |  | 5 |  |  |  |  |  |
| overfitting |  |  |  |  |  |  | 4 |  |  |  |  |
| still_improving |  |  |  |  |  |  |  | 2 |  |  |  |
| stuck_at_init |  |  |  |  |  |  |  |  | 1 |  |  |
| temporary_plateau |  |  |  |  |  |  |  |  |  | 5 |  |
| underfitting |  |  |  |  |  |  |  | 1 |  |  | 6 |
| label \ verdict | converged | data_limited | diverged | lr_too_high | lr_too_low | no_signal | overfitting | still_improving | stuck_at_init | temporary_plateau | underfitting |
|---|---|---|---|---|---|---|---|---|---|---|---|
| converged | 8 |  |  | 1 |  |  |  |  |  |  |  |
| data_limited | 1 | 6 |  |  |  |  |  | 1 |  |  |  |
| diverged |  |  | 9 |  |  |  |  |  |  |  |  |
| lr_too_high | 1 |  | 1 | 5 |  |  | 1 |  |  |  |  |
| lr_too_low |  |  |  |  | 11 |  |  |  |  |  |  |
| no_signal |  |  |  |  |  | 10 |  |  |  |  |  |
| overfitting |  |  |  |  |  |  | 10 |  |  |  |  |
| still_improving |  |  |  |  |  |  |  | 13 |  |  |  |
| stuck_at_init |  |  |  |  |  |  |  |  | 14 |  |  |
| temporary_plateau |  |  |  |  |  |  |  |  |  | 5 |  |
| underfitting |  |  |  |  | 2 |  |  | 1 | 1 |  | 4 |
