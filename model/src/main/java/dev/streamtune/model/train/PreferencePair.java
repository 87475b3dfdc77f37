package dev.streamtune.model.train;

/** A preference: after {@code promptIds}, {@code chosenIds} is better than {@code rejectedIds} (DPO). */
public record PreferencePair(long[] promptIds, long[] chosenIds, long[] rejectedIds) {
    public PreferencePair {
        if (promptIds.length == 0 || chosenIds.length == 0 || rejectedIds.length == 0) {
            throw new IllegalArgumentException("a preference pair needs a prompt and two non-empty completions");
        }
        promptIds = promptIds.clone();
        chosenIds = chosenIds.clone();
        rejectedIds = rejectedIds.clone();
    }

    /** The chosen completion as an SFT example. */
    public SftExample chosen() {
        return new SftExample(promptIds, chosenIds);
    }

    /** The rejected completion as an SFT example. */
    public SftExample rejected() {
        return new SftExample(promptIds, rejectedIds);
    }
}
