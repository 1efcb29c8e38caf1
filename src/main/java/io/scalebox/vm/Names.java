package io.scalebox.vm;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/** VM ids ({@code vm-} + 12 random hex) and generated {@code adverb-adjective-noun} names. */
public final class Names {
    private static final List<String> ADVERBS = List.of("very", "quite", "rather", "truly", "fairly", "oddly",
            "really", "mostly", "nearly", "simply", "gently", "boldly", "calmly", "deeply", "barely", "wildly",
            "warmly", "softly", "kindly", "madly", "quickly", "slowly", "neatly", "openly", "gladly", "busily",
            "loudly", "merrily", "proudly", "sharply", "swiftly", "tightly", "vastly", "wisely", "keenly", "fully",
            "highly", "justly", "lightly", "newly", "plainly", "purely", "rarely", "richly", "safely", "smoothly",
            "sweetly", "thickly", "usually", "vividly");
    private static final List<String> ADJECTIVES = List.of("silly", "happy", "brave", "clever", "eager", "fancy",
            "gentle", "jolly", "lively", "proud", "quiet", "rapid", "shiny", "sunny", "tidy", "witty", "zesty",
            "ample", "bright", "crisp", "dapper", "fluffy", "golden", "hardy", "icy", "lucky", "mellow", "nimble",
            "polite", "rosy", "sleepy", "snowy", "spry", "stormy", "sturdy", "swift", "tender", "vivid", "wavy",
            "young", "agile", "bold", "calm", "daring", "fair", "grand", "humble", "keen", "merry", "noble");
    private static final List<String> NOUNS = List.of("penguin", "otter", "falcon", "badger", "beaver", "bison",
            "camel", "cheetah", "cobra", "coyote", "crane", "dingo", "dolphin", "eagle", "ferret", "gazelle",
            "gecko", "heron", "hippo", "ibis", "jackal", "koala", "lemur", "lynx", "marmot", "moose", "narwhal",
            "ocelot", "panda", "parrot", "pelican", "puffin", "quokka", "rabbit", "raven", "salmon", "seal",
            "sparrow", "squid", "tapir", "tiger", "toucan", "turtle", "walrus", "weasel", "whale", "wombat",
            "yak", "zebra", "alpaca");

    private final SecureRandom random = new SecureRandom();

    public String newId() {
        byte[] b = new byte[6];
        random.nextBytes(b);
        return "vm-" + HexFormat.of().formatHex(b);
    }

    /** A generated name not {@code taken}; falls back to a numbered one if the space is crowded. */
    public String newName(Predicate<String> taken) {
        for (int i = 0; i < 100; i++) {
            String n = pick(ADVERBS) + "-" + pick(ADJECTIVES) + "-" + pick(NOUNS);
            if (!taken.test(n)) {
                return n;
            }
        }
        String n;
        do {
            n = pick(ADJECTIVES) + "-" + pick(NOUNS) + "-" + HexFormat.of().toHexDigits((byte) random.nextInt());
        } while (taken.test(n));
        return n;
    }

    static long combinations() {
        return (long) ADVERBS.size() * ADJECTIVES.size() * NOUNS.size();
    }

    private String pick(List<String> words) {
        return words.get(random.nextInt(words.size()));
    }
}
