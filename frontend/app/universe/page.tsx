import type { Metadata } from "next";

import { UniversePage } from "@/components/universe/universe-page";

export const metadata: Metadata = { title: "Universe · tickhub" };

export default function Page() {
  return <UniversePage />;
}
