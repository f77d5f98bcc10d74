process.env.JEST_TIER = 'e2e';
