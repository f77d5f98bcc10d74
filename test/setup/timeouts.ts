// testTimeout is not a per-project option in jest; integration and e2e specs wait on real services.
jest.setTimeout(process.env.JEST_TIER === 'e2e' ? 300000 : 120000);
