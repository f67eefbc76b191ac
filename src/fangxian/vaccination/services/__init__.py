"""Vaccination rules, by sub-domain: a person's progress from their doses (status), recording and checking doses
(doses), importing them (imports), who is to be vaccinated and the mobilisation work (roster), coverage (coverage)
and the targets with their daily shares (targets)."""
