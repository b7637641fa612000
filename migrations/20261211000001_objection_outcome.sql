-- 公示异议的核实结论 (issue 12): the liaison finds an objection upheld (异议成立) or dismissed
-- (异议不成立) when answering it; the "公示异议成立" warning rule reads the upheld ones. Objections
-- answered before this have no outcome (NULL): nobody recorded one, and none is guessed.
ALTER TABLE objections ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR outcome IN ('upheld', 'dismissed'));
CREATE INDEX objections_upheld ON objections (outcome) WHERE outcome = 'upheld';
