-- pg_trgm's similarity operators (%, <%, %>) run functions costed 1, like a cheap built-in, so the planner
-- thought comparing every creator's name with a search text cheaper than reading their GIN index, and did:
-- a seq scan of users in creator search (measured 213 ms against 54 ms for the index on 31,000 users; the
-- seed bench found 2 s of a 5 s search at 100,000 creators). What they cost is closer to 50 built-ins
-- (trigram extraction of both texts per row): said here, the index wins as it should.
ALTER FUNCTION similarity_op(text, text) COST 50;
ALTER FUNCTION word_similarity_op(text, text) COST 50;
ALTER FUNCTION word_similarity_commutator_op(text, text) COST 50;
