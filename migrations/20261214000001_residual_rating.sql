-- 固有风险与剩余风险 (issue 12): the holder rates each risk point again with its measures in place,
-- and the sheet's reviewers check it with the rest. Both scores or neither (not rated yet); the
-- inherent rating stays in likelihood and impact.
ALTER TABLE risk_points ADD COLUMN residual_likelihood INTEGER
    CHECK (residual_likelihood IS NULL OR residual_likelihood BETWEEN 1 AND 5);
ALTER TABLE risk_points ADD COLUMN residual_impact INTEGER
    CHECK (residual_impact IS NULL OR residual_impact BETWEEN 1 AND 5)
    CHECK ((residual_likelihood IS NULL) = (residual_impact IS NULL));
