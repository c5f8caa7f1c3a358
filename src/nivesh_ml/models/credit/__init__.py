"""Credit risk scoring: calibrated XGBoost with TreeSHAP reason codes, on simulated applicants or any CSV.

Outputs for one applicant (``POST /predict/credit-risk``):

- ``default_probability``: calibrated probability of default (Platt or isotonic, whichever had the lower
  cross-validated Brier score on out-of-fold predictions), rounded to 4 decimals.
- ``risk_score``: ``round(100 * default_probability)``, an integer 0–100, higher = riskier. A score of
  12 means "about 12 in 100 applicants like this one default".
- ``risk_category``: ``low`` when p < 0.10, ``medium`` when 0.10 ≤ p < 0.30, ``high`` when p ≥ 0.30
  (training options ``low_below`` / ``high_from`` move the cut-offs; they are saved with the model).
- ``reason_codes``: up to 3 sentences naming the features whose TreeSHAP contribution raises the
  applicant's risk most (at least 0.02 log-odds each), e.g. "Credit utilisation of 82 % is high";
  ``factors`` gives the same as ``{feature, value, impact}`` (impact in log-odds).

The default model is trained on 6,000 simulated applicants (``CreditApplication`` fields plus the derived
``debt_to_income`` = (existing EMI + EMI of the requested loan at 12 % p.a.) / monthly income) with
monotone constraints: bureau score never raises risk; debt-to-income, existing EMIs, enquiries and
delinquencies never lower it. Any CSV trains with ``--target`` and ``--positive``; its feature schema
(names, kinds, categories, ranges) is saved and validates ``applicant_data``.
"""

from nivesh_ml.models.credit.family import CreditFamily

FAMILY = CreditFamily()

__all__ = ["FAMILY", "CreditFamily"]
